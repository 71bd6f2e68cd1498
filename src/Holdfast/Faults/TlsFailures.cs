using System.Security.Authentication;
using System.Security.Cryptography;
using Holdfast.Configuration;
using Holdfast.Tls;
using Npgsql;

namespace Holdfast.Faults;

/// <summary>
/// TLS's failures told apart from the exception chain: the server's "no encryption" refusal, Npgsql's "no SSL" when the
/// server offers none, a certificate file that cannot be read, and — through <see cref="TlsCertificateException"/>, which
/// carries what Holdfast's own handshake saw — an unknown CA, another host name, an expired or not yet valid certificate.
/// </summary>
internal static class TlsFailures
{
    private const string NotOfferedPrefix = "SSL connection requested";
    private const string HandshakePrefix = "Exception while performing SSL handshake";

    /// <summary>The TLS problem <paramref name="exception"/> is, or null when it is not a TLS failure.</summary>
    public static TlsProblem? Find(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException { SqlState: "28000" } refused when refused.MessageText.Contains("no encryption", StringComparison.Ordinal):
                    return TlsProblem.RequiredByServer;
                case NpgsqlException notOffered when notOffered.Message.StartsWith(NotOfferedPrefix, StringComparison.Ordinal):
                    return TlsProblem.NotOffered;
                case TlsCertificateException certificate:
                    return certificate.Observation.Problem == TlsProblem.None ? TlsProblem.Handshake : certificate.Observation.Problem;
                case NpgsqlException handshake when handshake.Message.StartsWith(HandshakePrefix, StringComparison.Ordinal):
                    return Inner(handshake) ?? TlsProblem.Handshake;
                case AuthenticationException:
                    return TlsProblem.Handshake;
            }
        }

        return null;
    }

    /// <summary>
    /// True when Npgsql refused the server's certificate without saying why (its validation callback returned false): worth
    /// a handshake of Holdfast's own to tell an unknown CA from another host name or an expired certificate.
    /// </summary>
    public static bool IsUnexplainedRejection(Exception exception) =>
        Find(exception) == TlsProblem.Handshake && !Contains<TlsCertificateException>(exception) && Contains<AuthenticationException>(exception);

    /// <summary>The certificate facts a failure carries, when Holdfast's handshake saw them.</summary>
    public static TlsObservation? Observation(Exception exception) => FailureClassifier.Find<TlsCertificateException>(exception)?.Observation;

    /// <summary>The diagnosis of a TLS failure: what happened, that retrying will not help, and the fix.</summary>
    public static string Describe(TlsProblem problem, DatabaseEndpoint? endpoint, TlsObservation? seen, string message)
    {
        var where = endpoint is null ? "the server" : string.Join(", ", endpoint.Hosts);
        var mode = endpoint is null ? "?" : SslModes.ToLibpqName(endpoint.SslMode);
        var trust = endpoint?.TrustDescription ?? "the trusted CAs";
        const string Never = "A TLS misconfiguration. Retrying will not help.";
        return problem switch
        {
            TlsProblem.RequiredByServer =>
                $"{where} requires TLS and refused this connection without it (\"no encryption\", sslmode={mode}). {Never} " +
                "Fix: set sslmode=require or stronger (verify-full with the provider's CA in sslrootcert is what a managed server deserves) " +
                $"in {endpoint?.SourceName ?? "the connection settings"} or PGSSLMODE.",
            TlsProblem.NotOffered =>
                $"{where} does not offer TLS, and sslmode={mode} requires it. {Never} " +
                "Fix: turn TLS on at the server (ssl = on with a certificate), or, only if the network path is private and trusted, use sslmode=prefer.",
            TlsProblem.UnknownAuthority =>
                $"{Capitalize(seen is null ? "the server's certificate" : TlsDiagnosisText.Summary(seen))}: it does not chain to {trust} (sslmode={mode}). {Never} " +
                "Fix: give the provider's CA bundle in sslrootcert (or PGSSLROOTCERT). Cloud SQL: the instance's server CA " +
                "(gcloud sql instances describe INSTANCE --format='value(serverCaCert.cert)', or Connections → Security in the console); " +
                "Amazon RDS: the global bundle, https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem; " +
                "Azure Database for PostgreSQL flexible server: DigiCert Global Root G2 and Microsoft RSA Root Certificate Authority 2017 in one PEM file.",
            TlsProblem.HostNameMismatch =>
                $"{Capitalize(seen is null ? "the server's certificate is for another host name" : TlsDiagnosisText.Summary(seen))} (sslmode=verify-full). {Never} " +
                "Fix: connect by a name the certificate carries (the instance's DNS name, not its IP address or an alias), " +
                "or use sslmode=verify-ca to check the CA without the name.",
            TlsProblem.Expired or TlsProblem.NotYetValid =>
                $"{Capitalize(seen is null ? "the server's certificate is outside its validity" : TlsDiagnosisText.Summary(seen))}" +
                $"{(seen is null ? "" : $"; now is {TlsDiagnosisText.Date(seen.ObservedAt)}")}. {Never} " +
                (problem == TlsProblem.Expired
                    ? "Fix: rotate the server's certificate (Cloud SQL: rotate the server CA; RDS: modify the instance to the current CA), "
                    : "Fix: check the client's clock, or wait for the certificate's start, ") +
                "and keep an eye on the expiry Holdfast reports in /health and doctor.",
            TlsProblem.CertificateFile =>
                $"A certificate or key file could not be read ({message.TrimEnd('.')}). {Never} " +
                "Fix: check the path in sslrootcert, sslcert or sslkey (PGSSLROOTCERT, PGSSLCERT, PGSSLKEY) and that it is mounted into this container and readable.",
            _ =>
                $"TLS could not be set up with {where} (sslmode={mode}): {message.TrimEnd('.')}. {Never} " +
                "Fix: if the server has no TLS, use sslmode=prefer or disable; with verify-ca/verify-full, give the server's CA (sslrootcert) " +
                "and connect by the name on its certificate; 'holdfast doctor' shows what the server presents.",
        };
    }

    private static TlsProblem? Inner(NpgsqlException handshake) =>
        Contains<FileNotFoundException>(handshake) || Contains<DirectoryNotFoundException>(handshake) || Contains<CryptographicException>(handshake) ||
        Contains<UnauthorizedAccessException>(handshake)
            ? TlsProblem.CertificateFile
            : Contains<TlsCertificateException>(handshake) ? Find(handshake.InnerException!) : null;

    private static bool Contains<T>(Exception exception)
        where T : Exception => FailureClassifier.Find<T>(exception) is not null;

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
