using Holdfast.Configuration;
using Holdfast.Tls;

namespace Holdfast.Cli.Doctor;

/// <summary>What the TLS stage saw: protocol, cipher, the server certificate and what was verified; in <c>doctor --json</c>.</summary>
internal sealed record TlsReport(
    string Protocol,
    string? Cipher,
    string? Subject,
    string? Issuer,
    IReadOnlyList<string> Names,
    DateTimeOffset? NotBefore,
    DateTimeOffset? NotAfter,
    double? DaysLeft,
    string SslMode,
    bool ChainVerified,
    bool ChainTrusted,
    bool HostNameVerified,
    bool HostNameMatches,
    string Verification)
{
    public static TlsReport From(TlsObservation seen, DatabaseEndpoint endpoint) => new(
        seen.Protocol.ToString(), seen.Cipher, seen.Subject, seen.Issuer, seen.Names, seen.NotBefore, seen.NotAfter,
        seen.DaysLeft is { } days ? Math.Round(days, 1) : null, SslModes.ToLibpqName(endpoint.SslMode),
        seen.ChainVerified, seen.ChainTrusted, seen.HostNameVerified, seen.HostNameMatches, Describe(seen, endpoint));

    private static string Describe(TlsObservation seen, DatabaseEndpoint endpoint)
    {
        var chain = seen.ChainVerified
            ? $"chain verified against {endpoint.TrustDescription}"
            : $"chain not verified (sslmode={SslModes.ToLibpqName(endpoint.SslMode)}; it {(seen.ChainTrusted ? "would pass" : "would fail")} verify-ca)";
        var name = seen.HostNameVerified
            ? $"host name '{seen.Host}' verified"
            : $"host name not checked (it {(seen.HostNameMatches ? "matches" : "does not match")} '{seen.Host}')";
        return chain + "; " + name;
    }
}
