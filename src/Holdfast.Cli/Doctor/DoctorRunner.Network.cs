using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Holdfast.Configuration;
using Holdfast.Faults;
using Npgsql;

namespace Holdfast.Cli.Doctor;

internal sealed partial class DoctorRunner
{
    /// <summary>PostgreSQL's SSLRequest code (protocol 1234.5679).</summary>
    private const int SslRequestCode = 80877103;

    private readonly List<EndPoint> reachable = [];
    private readonly Dictionary<DatabaseHost, IPAddress[]> resolved = [];

    private Task<StageOutcome> CheckSocketAsync(DatabaseEndpoint target)
    {
        var host = target.Hosts[0];
        var state = UnixSocketProbe.Check(host);
        return Task.FromResult(state == UnixSocketState.Present
            ? new StageOutcome($"{host.SocketPath} is present")
            : StageOutcome.Fail(FailureClassifier.FromKind(FailureKind.SocketMissing,
                state == UnixSocketState.DirectoryMissing ? $"{host.Host} does not exist" : $"{host.SocketPath} does not exist", target)));
    }

    private async Task<StageOutcome> ResolveAsync(DatabaseEndpoint target, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        Exception? firstError = null;
        foreach (var host in target.Hosts)
        {
            if (IPAddress.TryParse(host.Host, out var literal))
            {
                resolved[host] = [literal];
                lines.Add($"{host.Host} is an IP address");
                continue;
            }

            try
            {
                var addresses = await Dns.GetHostAddressesAsync(host.Host, cancellationToken);
                resolved[host] = addresses;
                lines.Add($"{host.Host} → {string.Join(", ", addresses.Select(a => a.ToString()))}");
            }
            catch (SocketException ex)
            {
                firstError ??= ex;
                lines.Add($"{host.Host} does not resolve ({ex.SocketErrorCode})");
            }
        }

        return resolved.Count switch
        {
            0 => throw firstError!,
            _ when firstError is not null => new StageOutcome(string.Join("; ", lines), StageStatus.Warning),
            _ => new StageOutcome(string.Join("; ", lines)),
        };
    }

    private async Task<StageOutcome> ConnectTransportAsync(DatabaseEndpoint target, CancellationToken cancellationToken)
    {
        var candidates = target.SocketDirectory is not null
            ? [new UnixDomainSocketEndPoint(target.Hosts[0].SocketPath!)]
            : target.Hosts.Where(resolved.ContainsKey)
                .SelectMany(h => resolved[h].Select(a => (EndPoint)new IPEndPoint(a, h.Port))).ToList();
        var lines = new List<string>();
        Exception? firstError = null;
        foreach (var candidate in candidates)
        {
            using var socket = NewSocket(candidate);
            var started = time.GetTimestamp();
            try
            {
                await socket.ConnectAsync(candidate, cancellationToken);
                reachable.Add(candidate);
                lines.Add($"{candidate} connected in {Timeouts.DurationText.Format(time.GetElapsedTime(started))}");
            }
            catch (SocketException ex)
            {
                firstError ??= ex;
                lines.Add($"{candidate}: {ex.SocketErrorCode}");
            }
        }

        return reachable.Count switch
        {
            0 => throw new NpgsqlException($"Failed to connect to {string.Join(", ", candidates)}", firstError),
            _ when firstError is not null => new StageOutcome(string.Join("; ", lines), StageStatus.Warning),
            _ => new StageOutcome(string.Join("; ", lines)),
        };
    }

    private async Task<StageOutcome> NegotiateTlsAsync(DatabaseEndpoint target, CancellationToken cancellationToken)
    {
        if (target.SocketDirectory is not null)
        {
            return new StageOutcome("not used over a Unix socket", StageStatus.Skipped);
        }

        var address = reachable[0];
        using var socket = NewSocket(address);
        await socket.ConnectAsync(address, cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var request = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(request, 8);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(4), SslRequestCode);
        await stream.WriteAsync(request, cancellationToken);
        var answer = new byte[1];
        if (await stream.ReadAsync(answer, cancellationToken) == 0)
        {
            throw new NpgsqlException("The server closed the connection in answer to the SSL request", new EndOfStreamException());
        }

        if (answer[0] is not ((byte)'S' or (byte)'N' or (byte)'E'))
        {
            var shown = answer[0] is >= 0x20 and < 0x7F ? $"'{(char)answer[0]}'" : $"0x{answer[0]:X2}";
            return StageOutcome.Fail(FailureClassifier.FromKind(FailureKind.NotPostgres,
                $"the server answered the SSL request with {shown}{(answer[0] == (byte)'H' ? " (as HTTP's 'HTTP/1.1 ...' begins)" : "")}, not 'S' or 'N'", target));
        }

        if (target.SslMode == SslMode.Disable)
        {
            // Asked only to be sure a PostgreSQL server is there: without TLS, a foreign server's answer to the start-up
            // message reads as a broken connection.
            return new StageOutcome($"not used (sslmode=disable); the server answers PostgreSQL's SSL request ('{(char)answer[0]}')");
        }

        var required = target.SslMode is SslMode.Require or SslMode.VerifyCA or SslMode.VerifyFull;
        if (answer[0] != (byte)'S')
        {
            return required
                ? StageOutcome.Fail(FailureClassifier.FromKind(FailureKind.Tls,
                    $"the server does not offer TLS but sslmode={SslModes.ToLibpqName(target.SslMode)} requires it", target))
                : new StageOutcome($"the server does not offer TLS; sslmode={SslModes.ToLibpqName(target.SslMode)} continues without it");
        }

        await using var tls = new SslStream(stream, leaveInnerStreamOpen: true, (_, _, _, errors) => Acceptable(target.SslMode, errors));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = TargetHost(target) }, cancellationToken);
        var certificate = tls.RemoteCertificate as X509Certificate2;
        return new StageOutcome($"{tls.SslProtocol}, {tls.NegotiatedCipherSuite}; certificate {certificate?.Subject ?? "none"}" +
                                (certificate is null ? "" : $", valid until {certificate.NotAfter:yyyy-MM-dd}"));
    }

    private static bool Acceptable(SslMode mode, SslPolicyErrors errors) => mode switch
    {
        SslMode.VerifyFull => errors == SslPolicyErrors.None,
        SslMode.VerifyCA => (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None,
        _ => true,
    };

    private static string TargetHost(DatabaseEndpoint target) => target.Hosts[0].Host;

    private static Socket NewSocket(EndPoint endPoint) => endPoint is UnixDomainSocketEndPoint
        ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
}
