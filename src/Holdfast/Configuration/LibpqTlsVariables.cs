using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Holdfast.Configuration;

/// <summary>
/// libpq's TLS variables — <c>PGSSLMODE</c>, <c>PGSSLROOTCERT</c>, <c>PGSSLCERT</c>, <c>PGSSLKEY</c> — as libpq reads them:
/// defaults for what the endpoint's own source does not say. Npgsql reads only some of them itself, and never
/// <c>PGSSLMODE</c>; Holdfast applies them to the endpoint, so the display form, <c>validate</c> and <c>doctor</c> show
/// what every connection uses.
/// </summary>
internal static class LibpqTlsVariables
{
    public const string SslMode = "PGSSLMODE";
    public const string RootCertificate = "PGSSLROOTCERT";
    public const string Certificate = "PGSSLCERT";
    public const string Key = "PGSSLKEY";

    public static DatabaseEndpoint Apply(DatabaseEndpoint endpoint, IConfiguration configuration)
    {
        var mode = Value(configuration, SslMode) is { } text && !endpoint.SslModeGiven ? SslModes.Parse(text, SslMode, SslMode) : (SslMode?)null;
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        Default(settings, endpoint, TlsFiles.RootCertificateKeyword, Value(configuration, RootCertificate));
        Default(settings, endpoint, TlsFiles.CertificateKeyword, Value(configuration, Certificate));
        Default(settings, endpoint, TlsFiles.KeyKeyword, Value(configuration, Key));
        var applied = mode is null && settings.Count == 0 ? endpoint : endpoint.WithTlsDefaults(mode, settings);
        TlsFiles.CheckClientKey(applied);
        return applied;
    }

    private static void Default(Dictionary<string, string> settings, DatabaseEndpoint endpoint, string keyword, string? value)
    {
        if (value is not null && !endpoint.NpgsqlSettings.ContainsKey(keyword))
        {
            settings[keyword] = value;
        }
    }

    private static string? Value(IConfiguration configuration, string name) =>
        configuration[name]?.Trim() is { Length: > 0 } value ? value : null;
}
