namespace Holdfast.Tls;

/// <summary>Which of TLS's failures it was: each has its own diagnosis under <see cref="FailureKind.Tls"/>.</summary>
internal enum TlsProblem
{
    /// <summary>Not a TLS failure, or one not told apart (see the message).</summary>
    None,

    /// <summary>The server refuses connections without TLS ("no encryption") and the client did not ask for it.</summary>
    RequiredByServer,

    /// <summary>The server does not offer TLS, and the client's sslmode requires it.</summary>
    NotOffered,

    /// <summary>The server's certificate does not chain to a CA the client trusts.</summary>
    UnknownAuthority,

    /// <summary>The certificate is for another host name than the one connected to.</summary>
    HostNameMismatch,

    /// <summary>The certificate's validity ended.</summary>
    Expired,

    /// <summary>The certificate is not valid yet.</summary>
    NotYetValid,

    /// <summary>A certificate or key file the settings name cannot be read.</summary>
    CertificateFile,

    /// <summary>The handshake failed for another reason (protocol versions, ciphers, a client certificate refused).</summary>
    Handshake,
}
