using Npgsql;

namespace Holdfast.Configuration;

/// <summary>libpq's <c>sslmode</c> names (and asyncpg's <c>ssl=true|false</c>) for Npgsql's <see cref="SslMode"/>.</summary>
internal static class SslModes
{
    private static readonly Dictionary<string, SslMode> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["disable"] = SslMode.Disable,
        ["allow"] = SslMode.Allow,
        ["prefer"] = SslMode.Prefer,
        ["require"] = SslMode.Require,
        ["verify-ca"] = SslMode.VerifyCA,
        ["verify-full"] = SslMode.VerifyFull,
        ["true"] = SslMode.Require,
        ["false"] = SslMode.Disable,
    };

    internal static SslMode Parse(string value, string setting, string key) =>
        Names.TryGetValue(value.Trim(), out var mode)
            ? mode
            : throw new HoldfastConfigurationException(setting,
                $"{key}={SafeEcho.Of(value)} is not an SSL mode",
                "use one of disable, allow, prefer, require, verify-ca, verify-full");

    /// <summary>The libpq spelling of a mode, for display: disable, allow, prefer, require, verify-ca, verify-full.</summary>
    /// <param name="mode">The mode.</param>
    public static string ToLibpqName(SslMode mode) => mode switch
    {
        SslMode.Disable => "disable",
        SslMode.Allow => "allow",
        SslMode.Prefer => "prefer",
        SslMode.Require => "require",
        SslMode.VerifyCA => "verify-ca",
        SslMode.VerifyFull => "verify-full",
        _ => mode.ToString().ToLowerInvariant(),
    };
}
