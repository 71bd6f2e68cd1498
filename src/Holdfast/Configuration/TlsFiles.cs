using Npgsql;

namespace Holdfast.Configuration;

/// <summary>
/// The certificate files of an endpoint under their Npgsql keywords, and libpq's <c>sslrootcert=system</c> (verify against
/// the operating system's trusted CAs), which Npgsql does when it is given no root certificate.
/// </summary>
internal static class TlsFiles
{
    public const string RootCertificateKeyword = "Root Certificate";
    public const string CertificateKeyword = "SSL Certificate";
    public const string KeyKeyword = "SSL Key";

    /// <summary>libpq 16's value of <c>sslrootcert</c> for the system's trusted CAs.</summary>
    public const string System = "system";

    /// <summary>Where the usual systems keep their CA bundle (Debian, Ubuntu, Alpine; RHEL, Fedora; macOS, Alpine).</summary>
    private static readonly string[] SystemBundles =
        ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

    /// <summary>
    /// The system's CA bundle as a file, as libpq reads <c>sslrootcert=system</c> (OpenSSL's default, <c>SSL_CERT_FILE</c>
    /// first). Npgsql must be given it: given no root certificate it would fall back to <c>PGSSLROOTCERT</c> and
    /// <c>~/.postgresql/root.crt</c> instead. Null where none is found (Windows): Npgsql then uses the system's store.
    /// </summary>
    public static string? SystemBundle() =>
        Environment.GetEnvironmentVariable("SSL_CERT_FILE") is { Length: > 0 } file && File.Exists(file)
            ? file
            : SystemBundles.FirstOrDefault(File.Exists);

    /// <summary>
    /// The SSL mode the settings make, as libpq does: <c>sslrootcert=system</c> only with <c>verify-full</c> (and means it
    /// when no mode is given).
    /// </summary>
    public static SslMode Check(SslMode? mode, IReadOnlyDictionary<string, string> settings, string setting)
    {
        var root = settings.TryGetValue(RootCertificateKeyword, out var value) ? value : null;
        if (string.Equals(root, System, StringComparison.OrdinalIgnoreCase))
        {
            if (mode is { } given && given != SslMode.VerifyFull)
            {
                throw new HoldfastConfigurationException(setting,
                    $"sslrootcert=system needs sslmode=verify-full, not {SslModes.ToLibpqName(given)}",
                    "use sslmode=verify-full with sslrootcert=system (libpq refuses a weaker mode with it), or name the CA file in sslrootcert");
            }

            return SslMode.VerifyFull;
        }

        return mode ?? SslMode.Prefer;
    }

    /// <summary>A client key needs its certificate; checked once libpq's variables (<c>PGSSLCERT</c>) are in.</summary>
    public static void CheckClientKey(DatabaseEndpoint endpoint)
    {
        if (endpoint.ClientKey is not null && endpoint.ClientCertificate is null)
        {
            throw new HoldfastConfigurationException(endpoint.SourceName, "sslkey is given without sslcert",
                "give the client certificate (sslcert or PGSSLCERT) with its key, or remove sslkey");
        }
    }
}
