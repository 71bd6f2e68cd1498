namespace Holdfast.Testing;

/// <summary>What is wrong with the certificate a TLS <see cref="LocalPostgres"/> presents, so each client-side failure is real.</summary>
public enum TestCertificateProblem
{
    /// <summary>A valid certificate for <c>localhost</c>, 127.0.0.1 and ::1, signed by <see cref="LocalPostgres.CertificateAuthorityFile"/>'s CA.</summary>
    None,

    /// <summary>Signed by another CA than the one in <see cref="LocalPostgres.CertificateAuthorityFile"/> (an unknown authority).</summary>
    UnknownAuthority,

    /// <summary>Signed by the right CA, but for another host name (<c>db.example.internal</c>) and no IP address.</summary>
    WrongHostName,

    /// <summary>Signed by the right CA, valid for the right names, but expired a day ago.</summary>
    Expired,

    /// <summary>Signed by the right CA, valid for the right names, but only from tomorrow.</summary>
    NotYetValid,
}
