using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Npgsql;

namespace Holdfast.Tls;

/// <summary>
/// A TLS handshake of Holdfast's own with the server — PostgreSQL's SSL request, then the handshake, then nothing: no
/// start-up message and no password cross it — to see what Npgsql's validation does not say: the certificate, and which
/// check of the endpoint's sslmode it fails. The chain is built as Npgsql builds it (the endpoint's root certificate as the
/// only trust anchor, else the system's; no revocation check), so the verdict is the one Npgsql reached. It observes; it
/// never decides whether Holdfast's connections trust the server.
/// </summary>
internal static class TlsInspector
{
    /// <summary>PostgreSQL's SSLRequest code (protocol 1234.5679).</summary>
    internal const int SslRequestCode = 80877103;

    /// <summary>Inspects the TLS of the endpoint's first TCP host; null over a Unix socket (no TLS there).</summary>
    public static async Task<TlsObservation?> InspectAsync(DatabaseEndpoint endpoint, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.SocketDirectory is not null)
        {
            return null;
        }

        var host = endpoint.Hosts[0];
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(host.Host, host.Port, cancellationToken).ConfigureAwait(false);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        return await InspectAsync(stream, endpoint, host.Host, time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends the SSL request on a connected stream and, when the server offers TLS, shakes hands and judges the certificate.</summary>
    public static async Task<TlsObservation> InspectAsync(Stream stream, DatabaseEndpoint endpoint, string host, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var request = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(request, 8);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(4), SslRequestCode);
        await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        var answer = new byte[1];
        if (await stream.ReadAsync(answer, cancellationToken).ConfigureAwait(false) == 0)
        {
            throw new NpgsqlException("The server closed the connection in answer to the SSL request", new EndOfStreamException());
        }

        if (answer[0] is (byte)'N' or (byte)'E')
        {
            // 'E': a server too old for the SSL request answers it with an error; it offers no TLS either.
            return new TlsObservation { Offered = false, Host = host, ObservedAt = time.GetUtcNow(), Problem = endpoint.RequiresTls ? TlsProblem.NotOffered : TlsProblem.None };
        }

        if (answer[0] != (byte)'S')
        {
            var shown = answer[0] is >= 0x20 and < 0x7F ? $"'{(char)answer[0]}'" : $"0x{answer[0]:X2}";
            throw new NpgsqlException($"Received unknown response {shown} for SSLRequest (expecting S or N)" +
                                      (answer[0] == (byte)'H' ? ", as HTTP's 'HTTP/1.1 ...' begins" : ""));
        }

        var seen = SslPolicyErrors.None;
        var sent = new X509Certificate2Collection();
        await using var tls = new SslStream(stream, leaveInnerStreamOpen: true, (_, _, chain, errors) =>
        {
            // Accepted whatever it is: nothing is sent over this connection, and what is wrong is the point of looking. The
            // intermediates the server sent are kept, so the chain is judged with them as Npgsql's callback judges it.
            seen = errors;
            if (chain is not null)
            {
                foreach (var element in chain.ChainElements)
                {
                    sent.Add(new X509Certificate2(element.Certificate));
                }
            }

            return true;
        });
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = host,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        }, cancellationToken).ConfigureAwait(false);

        using var certificate = tls.RemoteCertificate is { } remote ? new X509Certificate2(remote) : null;
        var now = time.GetUtcNow();
        var observation = new TlsObservation
        {
            Offered = true,
            Host = host,
            ObservedAt = now,
            Protocol = tls.SslProtocol,
            Cipher = tls.NegotiatedCipherSuite.ToString(),
            ChainVerified = endpoint.VerifiesCertificate,
            HostNameVerified = endpoint.SslMode == SslMode.VerifyFull,
            Problem = endpoint.VerifiesCertificate ? TlsProblem.UnknownAuthority : TlsProblem.None,
        };
        try
        {
            return certificate is null ? observation : Judge(observation, certificate, sent, endpoint, seen);
        }
        finally
        {
            foreach (var intermediate in sent)
            {
                intermediate.Dispose();
            }
        }
    }

    /// <summary>What the endpoint's sslmode makes of the certificate: its facts, and the first check it fails.</summary>
    private static TlsObservation Judge(TlsObservation observation, X509Certificate2 certificate, X509Certificate2Collection sent,
        DatabaseEndpoint endpoint, SslPolicyErrors seen)
    {
        var now = observation.ObservedAt;
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        var trusted = ChainsToTrustedRoot(certificate, sent, endpoint, now);
        var nameMatches = (seen & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
        var problem = !endpoint.VerifiesCertificate ? TlsProblem.None
            : !trusted ? TlsProblem.UnknownAuthority
            : now > notAfter ? TlsProblem.Expired
            : now < notBefore ? TlsProblem.NotYetValid
            : observation.HostNameVerified && !nameMatches ? TlsProblem.HostNameMismatch
            : TlsProblem.None;
        return observation with
        {
            Subject = certificate.Subject,
            Issuer = certificate.Issuer,
            Names = Names(certificate),
            NotBefore = notBefore,
            NotAfter = notAfter,
            ChainTrusted = trusted,
            HostNameMatches = nameMatches,
            Problem = problem,
        };
    }

    /// <summary>
    /// True when the certificate chains to the endpoint's root certificate (its only trust anchor, as Npgsql and libpq use
    /// it) or, without one, to a CA the system trusts. Validity dates are judged apart, so an expired certificate from the
    /// right CA is "expired", not "unknown CA".
    /// </summary>
    private static bool ChainsToTrustedRoot(X509Certificate2 certificate, X509Certificate2Collection sent, DatabaseEndpoint endpoint, DateTimeOffset now)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        // Judged from what the server sent: no download, which would be synchronous and outlast the deadline.
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.ExtraStore.AddRange(sent);
        if (endpoint.RootCertificateFile is { } rootFile)
        {
            X509Certificate2Collection roots;
            try
            {
                roots = LoadCertificates(rootFile);
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                // Unverified modes never read the file (Npgsql neither): an unreadable one only means "would not pass". A
                // verifying mode fails as Npgsql's handshake does, so the file is named in the diagnosis.
                return endpoint.VerifiesCertificate ? throw new NpgsqlException("Exception while performing SSL handshake", ex) : false;
            }

            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.ExtraStore.AddRange(roots);
        }

        return chain.Build(certificate);
    }

    /// <summary>The CA file as Npgsql reads it: PEM (one or more certificates), else PKCS#12.</summary>
    internal static X509Certificate2Collection LoadCertificates(string path)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            if (!Path.GetExtension(path).Equals(".pfx", StringComparison.OrdinalIgnoreCase))
            {
                certificates.ImportFromPemFile(path);
            }

            if (certificates.Count == 0)
            {
                certificates.Add(X509CertificateLoader.LoadPkcs12FromFile(path, null));
            }
        }
        catch (CryptographicException ex)
        {
            throw new CryptographicException($"The root certificate file {path} holds no certificate Holdfast can read ({ex.Message})", ex);
        }

        return certificates;
    }

    private static List<string> Names(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
                names.AddRange(san.EnumerateIPAddresses().Select(a => a.ToString()));
            }
        }

        if (names.Count == 0 && certificate.GetNameInfo(X509NameType.DnsName, forIssuer: false) is { Length: > 0 } common)
        {
            names.Add(common);
        }

        return names;
    }
}
