using System.Net;
using System.Net.Sockets;
using Holdfast.Configuration;
using Holdfast.Faults;
using Holdfast.Tls;
using Npgsql;

namespace Holdfast.Cli.Doctor;

internal sealed partial class DoctorRunner
{
    private readonly List<EndPoint> reachable = [];
    private readonly Dictionary<DatabaseHost, IPAddress[]> resolved = [];

    /// <summary>The service's own setting for the expiry warning, which doctor honours too.</summary>
    private const string CertificateExpiryWarningKey = "Holdfast:Resilience:Tls:CertificateExpiryWarning";

    /// <summary>What the TLS stage saw of the server's certificate; null without TLS.</summary>
    private TlsReport? tls;

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
        var seen = await TlsInspector.InspectAsync(stream, target, TargetHost(target), time, cancellationToken);
        var mode = SslModes.ToLibpqName(target.SslMode);
        // In staging and production a password sent to an unverified server is worth a warning; in development it is not.
        var unverified = environment is { } detected && target.TlsWarningFor(detected.Environment) is not null ? StageStatus.Warning : StageStatus.Ok;
        if (!seen.Offered)
        {
            return target.RequiresTls
                ? StageOutcome.Fail(FailureClassifier.FromTls(seen, target))
                : new StageOutcome($"the server does not offer TLS; sslmode={mode} continues without it, the password in clear", unverified);
        }

        tls = TlsReport.From(seen, target);
        if (target.SslMode == SslMode.Disable)
        {
            // Looked at only to be sure a PostgreSQL server is there and to show what it offers; this client will not use it.
            return new StageOutcome($"not used (sslmode=disable); the server offers {seen.Protocol} with a certificate for {TlsDiagnosisText.NameList(seen)}",
                unverified);
        }

        if (seen.Problem != TlsProblem.None)
        {
            return StageOutcome.Fail(FailureClassifier.FromTls(seen, target));
        }

        var warning = Timeouts.DurationText.TryParse(settings.Configuration[CertificateExpiryWarningKey], out var configured)
            ? configured
            : TlsOptions.DefaultCertificateExpiryWarning;
        var expiresSoon = warning > TimeSpan.Zero && seen.DaysLeft < warning.TotalDays;
        return new StageOutcome($"{seen.Protocol}, {seen.Cipher}; certificate {TlsDiagnosisText.Certificate(seen)}; {tls.Verification}" +
                                (expiresSoon ? $"; it expires in less than {warning.TotalDays:0.#} days" : ""),
            expiresSoon ? StageStatus.Warning : unverified);
    }

    private static string TargetHost(DatabaseEndpoint target) => target.Hosts[0].Host;

    private static Socket NewSocket(EndPoint endPoint) => endPoint is UnixDomainSocketEndPoint
        ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
}
