using System.Globalization;

namespace Holdfast.Tls;

/// <summary>Certificate facts in words, for diagnoses, <c>doctor</c> and <c>/health</c>.</summary>
internal static class TlsDiagnosisText
{
    /// <summary>One sentence on what was wrong with the certificate, or what it is when nothing was.</summary>
    public static string Summary(TlsObservation observation) => observation.Problem switch
    {
        TlsProblem.UnknownAuthority => $"the server's certificate ({Certificate(observation)}) is not signed by a CA the client trusts",
        TlsProblem.HostNameMismatch =>
            $"the server's certificate is for {NameList(observation)}, not for '{observation.Host}', the host connected to",
        TlsProblem.Expired => $"the server's certificate expired on {Date(observation.NotAfter)} (valid from {Date(observation.NotBefore)})",
        TlsProblem.NotYetValid => $"the server's certificate is valid only from {Date(observation.NotBefore)} (until {Date(observation.NotAfter)})",
        TlsProblem.NotOffered => "the server does not offer TLS",
        _ => $"the server's certificate: {Certificate(observation)}",
    };

    /// <summary>Subject, issuer and expiry: "CN=db, issued by CN=CA, valid until 2027-01-01 (29 days left)".</summary>
    public static string Certificate(TlsObservation observation) =>
        observation.Subject is null
            ? "none"
            : $"{observation.Subject}, issued by {observation.Issuer}, valid until {Date(observation.NotAfter)} ({DaysLeft(observation)})";

    public static string DaysLeft(TlsObservation observation) => observation.DaysLeft switch
    {
        null => "no expiry",
        < 0 => "expired",
        var days => string.Create(CultureInfo.InvariantCulture, $"{Math.Floor(days.Value):0} days left"),
    };

    public static string NameList(TlsObservation observation) =>
        observation.Names.Count == 0 ? $"'{observation.Subject}'" : string.Join(", ", observation.Names.Select(n => $"'{n}'"));

    public static string Date(DateTimeOffset? value) =>
        value is { } date ? date.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "?";
}
