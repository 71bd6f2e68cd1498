namespace Holdfast.Testing;

/// <summary>
/// TLS for a <see cref="LocalPostgres"/>: a CA and a server certificate generated for the cluster (no openssl needed), TLS
/// turned on, and optionally required for every TCP connection, as managed servers do ("require SSL" on Cloud SQL,
/// <c>rds.force_ssl</c>, Azure's default).
/// </summary>
public sealed class LocalPostgresTls
{
    /// <summary>
    /// Refuse TCP connections without TLS (<c>hostnossl ... reject</c> in <c>pg_hba.conf</c>): the server answers a plain
    /// connection with 28000 "no encryption". Default true. Unix-socket connections are not affected.
    /// </summary>
    public bool Require { get; set; } = true;

    /// <summary>What is wrong with the server certificate, if anything. Default <see cref="TestCertificateProblem.None"/>.</summary>
    public TestCertificateProblem Problem { get; set; }

    /// <summary>
    /// How long the server certificate is valid from its creation (ignored for <see cref="TestCertificateProblem.Expired"/> and
    /// <see cref="TestCertificateProblem.NotYetValid"/>). Default 365 days; a few days exercises certificate-expiry alerts.
    /// </summary>
    public TimeSpan Validity { get; set; } = TimeSpan.FromDays(365);
}
