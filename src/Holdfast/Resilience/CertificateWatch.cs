using Holdfast.Telemetry;
using Holdfast.Tls;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Holdfast.Resilience;

/// <summary>
/// Keeps an eye on the server's TLS certificate: a handshake of Holdfast's own (<see cref="TlsInspector"/>, which sends
/// nothing) when the database phase succeeds and then at most once per <see cref="TlsOptions.CertificateCheckInterval"/>
/// while health probes run. The last certificate seen feeds <c>/health</c>, the dashboard, the
/// <c>holdfast.tls.certificate.expiry</c> gauge and the <c>certificate-expiry</c> alert. Nothing when TLS is not used
/// (sslmode=disable, a Unix socket). A check that fails is logged at debug and tried again at the next chance.
/// </summary>
internal sealed class CertificateWatch : IDisposable
{
    /// <summary>How soon a check that saw no certificate (failed, or no TLS offered) is tried again.</summary>
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(1);

    private readonly DatabaseEndpoint endpoint;
    private readonly TlsOptions options;
    private readonly TimeProvider time;
    private readonly AlertMonitor alerts;
    private readonly ILogger logger;
    private readonly string source;
    private readonly IDisposable gauge;
    private readonly CancellationToken lifetime;
    private int running;
    private long checkedAt;
    private TlsObservation? latest;

    public CertificateWatch(DatabaseEndpoint endpoint, TlsOptions options, TimeProvider time, AlertMonitor alerts, HoldfastInstruments instruments,
        ILogger logger, string source, CancellationToken lifetime)
    {
        this.endpoint = endpoint;
        this.options = options;
        this.time = time;
        this.alerts = alerts;
        this.logger = logger;
        this.source = source;
        this.lifetime = lifetime;
        gauge = instruments.TrackCertificate(source, () => Latest?.NotAfter is { } notAfter ? (notAfter - time.GetUtcNow()).TotalSeconds : null);
    }

    /// <summary>The server certificate as last seen; null before the first check or without TLS.</summary>
    public TlsObservation? Latest => Volatile.Read(ref latest);

    /// <summary>True when connections use TLS at all, so there is a certificate to watch.</summary>
    public bool Applies => endpoint.SocketDirectory is null && endpoint.SslMode != SslMode.Disable;

    /// <summary>Starts a check in the background when the last is older than the interval; never waits, never throws.</summary>
    public void RefreshIfDue()
    {
        var last = Interlocked.Read(ref checkedAt);
        if (!Applies || lifetime.IsCancellationRequested ||
            (last != 0 && time.GetElapsedTime(last) < (Volatile.Read(ref latest) is null ? Min(RetryAfterFailure, options.CertificateCheckInterval) : options.CertificateCheckInterval)) ||
            Interlocked.Exchange(ref running, 1) != 0)
        {
            return;
        }

        _ = Task.Run(RefreshAsync, CancellationToken.None);
    }

    /// <summary>Checks now; <see cref="RefreshIfDue"/> runs it in the background.</summary>
    private async Task RefreshAsync()
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
            deadline.CancelAfter(TimeSpan.FromSeconds(10));
            // Paced by attempts, not successes: a server that cannot be looked at costs one handshake a minute, not one per probe.
            Interlocked.Exchange(ref checkedAt, time.GetTimestamp());
            if (await TlsInspector.InspectAsync(endpoint, time, deadline.Token).ConfigureAwait(false) is { Offered: true } seen)
            {
                Volatile.Write(ref latest, seen);
                if (seen.NotAfter is { } notAfter)
                {
                    alerts.ObserveCertificate(notAfter - seen.ObservedAt, options.CertificateExpiryWarning, source);
                }
            }
        }
#pragma warning disable CA1031 // A watch that fails must not break anything: it is tried again at the next chance.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.CertificateCheckFailed(logger, ex.Message);
        }
        finally
        {
            Volatile.Write(ref running, 0);
        }
    }

    public void Dispose() => gauge.Dispose();

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
