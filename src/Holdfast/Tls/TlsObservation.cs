using System.Security.Authentication;

namespace Holdfast.Tls;

/// <summary>
/// What a TLS handshake with the server showed, observed on a connection of its own that sends nothing after the handshake
/// (no start-up message, no password): whether TLS is offered, the protocol and cipher, the server certificate, and what
/// the endpoint's sslmode makes of it.
/// </summary>
internal sealed record TlsObservation
{
    /// <summary>False when the server answered the SSL request with 'N' (no TLS).</summary>
    public required bool Offered { get; init; }

    public SslProtocols Protocol { get; init; }

    public string? Cipher { get; init; }

    public string? Subject { get; init; }

    public string? Issuer { get; init; }

    /// <summary>The names the certificate is for (subject alternative names, else the subject's CN).</summary>
    public IReadOnlyList<string> Names { get; init; } = [];

    public DateTimeOffset? NotBefore { get; init; }

    public DateTimeOffset? NotAfter { get; init; }

    /// <summary>True when the chain ends at a CA the endpoint trusts (its root certificate, or the system's).</summary>
    public bool ChainTrusted { get; init; }

    /// <summary>True when the certificate is for the host name connected to.</summary>
    public bool HostNameMatches { get; init; }

    /// <summary>True when the chain was verified under the endpoint's sslmode (verify-ca, verify-full).</summary>
    public bool ChainVerified { get; init; }

    /// <summary>True when the host name was verified under the endpoint's sslmode (verify-full).</summary>
    public bool HostNameVerified { get; init; }

    /// <summary>What the endpoint's sslmode refuses in what was seen, or <see cref="TlsProblem.None"/>.</summary>
    public TlsProblem Problem { get; init; }

    /// <summary>The host name connected to.</summary>
    public required string Host { get; init; }

    /// <summary>When the handshake was seen.</summary>
    public DateTimeOffset ObservedAt { get; init; }

    /// <summary>Days until the certificate expires (negative once expired), or null without a certificate.</summary>
    public double? DaysLeft => NotAfter is { } notAfter ? (notAfter - ObservedAt).TotalDays : null;
}
