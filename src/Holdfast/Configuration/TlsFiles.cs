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

    /// <summary>
    /// Checks the TLS settings together, as libpq does: <c>sslrootcert=system</c> only with <c>verify-full</c> (and means it
    /// when no mode is given); a client key only with its certificate.
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

        if (settings.ContainsKey(KeyKeyword) && !settings.ContainsKey(CertificateKeyword))
        {
            throw new HoldfastConfigurationException(setting, "sslkey is given without sslcert",
                "give the client certificate (sslcert) with its key, or remove sslkey");
        }

        return mode ?? SslMode.Prefer;
    }
}
