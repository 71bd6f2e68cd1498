using Holdfast.Configuration;
using Npgsql;

namespace Holdfast;

public sealed partial class DatabaseEndpoint
{
    /// <summary>
    /// The CA certificate file the server's certificate is verified against (<c>sslrootcert</c>, <c>PGSSLROOTCERT</c>, Npgsql's
    /// <c>Root Certificate</c>), or <c>system</c> for the operating system's trusted CAs; null when none is given.
    /// </summary>
    public string? RootCertificate => Setting(TlsFiles.RootCertificateKeyword);

    /// <summary>The client certificate file (<c>sslcert</c>, <c>PGSSLCERT</c>), or null.</summary>
    public string? ClientCertificate => Setting(TlsFiles.CertificateKeyword);

    /// <summary>The client certificate's key file (<c>sslkey</c>, <c>PGSSLKEY</c>), or null.</summary>
    public string? ClientKey => Setting(TlsFiles.KeyKeyword);

    /// <summary>True when the source (or <c>PGSSLMODE</c>) names an SSL mode; false when <see cref="SslMode"/> is the default.</summary>
    internal bool SslModeGiven { get; }

    /// <summary>True when the server's certificate chain is verified (verify-ca, verify-full).</summary>
    internal bool VerifiesCertificate => SslMode is SslMode.VerifyCA or SslMode.VerifyFull;

    /// <summary>True when a connection without TLS is refused by the client (require and stronger).</summary>
    internal bool RequiresTls => SslMode is SslMode.Require or SslMode.VerifyCA or SslMode.VerifyFull;

    /// <summary>
    /// The root certificate file to verify against: the one given, the system's CA bundle for <c>system</c>, or null (none
    /// given: Npgsql then uses <c>PGSSLROOTCERT</c>, <c>~/.postgresql/root.crt</c> or the system's store, in that order).
    /// </summary>
    internal string? RootCertificateFile => RootCertificate is { } root
        ? string.Equals(root, TlsFiles.System, StringComparison.OrdinalIgnoreCase) ? TlsFiles.SystemBundle() : root
        : null;

    /// <summary>True when <c>sslrootcert=system</c> asks for the system's trusted CAs.</summary>
    private bool SystemTrust => string.Equals(RootCertificate, TlsFiles.System, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// What verification is in force, in words: e.g. "TLS required; the certificate chain is verified against
    /// /etc/ssl/ca.pem and the host name is checked".
    /// </summary>
    internal string TlsVerificationText => SslMode switch
    {
        SslMode.Disable => "TLS off (sslmode=disable): the password and data cross the network in clear",
        SslMode.Allow => "TLS only if the server insists (sslmode=allow), its certificate then not verified",
        SslMode.Prefer => "TLS if the server offers it (sslmode=prefer), its certificate not verified; a server that does not offer it gets the password in clear",
        SslMode.Require => "TLS required (sslmode=require), but the server's certificate is not verified: anyone in the path can pose as the server",
        SslMode.VerifyCA => $"TLS required; the certificate chain is verified against {TrustText}, the host name is not checked (sslmode=verify-ca)",
        _ => $"TLS required; the certificate chain is verified against {TrustText} and the host name is checked (sslmode=verify-full)",
    };

    /// <summary>
    /// In staging and production, a warning when the password goes to a server whose certificate is not verified
    /// (disable, allow, prefer, require over TCP); null when verified, over a Unix socket (no TLS there; Cloud SQL's Auth
    /// Proxy encrypts its own leg), or in development and test.
    /// </summary>
    /// <param name="environment">The environment.</param>
    internal string? TlsWarningFor(HoldfastEnvironment environment) =>
        environment is HoldfastEnvironment.Staging or HoldfastEnvironment.Production && SocketDirectory is null && !VerifiesCertificate
            ? $"sslmode={SslModes.ToLibpqName(SslMode)} sends the password to a server whose certificate is not verified " +
              $"({environment.ToName()}); use sslmode=verify-full with the provider's CA in sslrootcert (or PGSSLROOTCERT)"
            : null;

    /// <summary>What the chain is verified against, for diagnoses: the CA file, or the system's CAs and how they were chosen.</summary>
    internal string TrustDescription => SystemTrust
        ? $"the system's trusted CAs (sslrootcert=system{(RootCertificateFile is { } bundle ? ": " + bundle : "")})"
        : RootCertificateFile is { } file ? $"the CA file {file} (sslrootcert)" : "the system's trusted CAs (no sslrootcert is given)";

    private string TrustText => SystemTrust || RootCertificateFile is null ? "the system's trusted CAs" : RootCertificateFile;

    internal DatabaseEndpoint WithTlsDefaults(SslMode? sslMode, IReadOnlyDictionary<string, string> tlsSettings) =>
        new(this, sslMode, tlsSettings);

    private string? Setting(string keyword) => NpgsqlSettings.TryGetValue(keyword, out var value) ? value : null;
}
