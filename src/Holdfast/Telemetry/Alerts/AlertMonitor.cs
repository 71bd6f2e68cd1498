using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Holdfast.Telemetry;

/// <summary>
/// Evaluates samples against alert rules and delivers level changes to sinks. Evaluation is synchronous and
/// cheap; delivery runs on a background reader, one alert at a time, to every sink at once, each bounded by
/// <see cref="DeliveryTimeout"/>: a slow or hanging sink delays no other sink, and a sink that throws is logged,
/// never rethrown.
/// </summary>
internal sealed class AlertMonitor : IAsyncDisposable
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, AlertLevel> levels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HoldfastAlert> active = new(StringComparer.Ordinal);
    private readonly Channel<HoldfastAlert> queue = Channel.CreateBounded<HoldfastAlert>(
        new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly IReadOnlyList<IAlertSink> sinks;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly Action<HoldfastAlert>? onAlert;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task delivery;

    /// <summary>Creates a monitor.</summary>
    /// <param name="rules">The rules to evaluate.</param>
    /// <param name="sinks">Where alerts go.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where sink failures are reported.</param>
    /// <param name="onAlert">Called synchronously for each level change (e.g. to count it in metrics).</param>
    public AlertMonitor(IEnumerable<AlertRule> rules, IEnumerable<IAlertSink> sinks, TimeProvider time, ILogger? logger = null, Action<HoldfastAlert>? onAlert = null)
    {
        Rules = [.. rules];
        this.sinks = [.. sinks];
        this.time = time;
        this.logger = logger ?? NullLogger.Instance;
        this.onAlert = onAlert;
        delivery = Task.Run(DeliverAsync);
    }

    /// <summary>How long one sink may take for one alert before it is abandoned. Default 10 s.</summary>
    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The rules evaluated.</summary>
    public IReadOnlyList<AlertRule> Rules { get; }

    /// <summary>The alerts currently above normal, one per rule.</summary>
    public IReadOnlyList<HoldfastAlert> Active
    {
        get
        {
            lock (gate)
            {
                return [.. active.Values];
            }
        }
    }

    /// <summary>Evaluates one sample against every rule; returns the level changes it caused (usually none).</summary>
    /// <param name="value">The sample, e.g. a connect duration.</param>
    /// <param name="source">Where it came from, e.g. the data source name.</param>
    public IReadOnlyList<HoldfastAlert> Observe(TimeSpan value, string source)
    {
        List<HoldfastAlert>? changes = null;
        lock (gate)
        {
            foreach (var rule in Rules)
            {
                var previous = levels.GetValueOrDefault(rule.Name);
                var next = rule.Next(previous, value);
                if (next == previous)
                {
                    continue;
                }

                levels[rule.Name] = next;
                var alert = new HoldfastAlert(rule.Name, next, previous, value,
                    rule.ThresholdOf(next == AlertLevel.Normal ? previous : next), time.GetUtcNow(), source);
                if (next == AlertLevel.Normal)
                {
                    active.Remove(rule.Name);
                }
                else
                {
                    active[rule.Name] = alert;
                }

                (changes ??= []).Add(alert);
            }
        }

        if (changes is null)
        {
            return [];
        }

        foreach (var alert in changes)
        {
            onAlert?.Invoke(alert);
            queue.Writer.TryWrite(alert);
        }

        return changes;
    }

    /// <summary>
    /// Evaluates the server certificate's remaining validity against <paramref name="warning"/>: a warning below it, critical
    /// once expired, back to normal when a renewed certificate is seen. Zero <paramref name="warning"/> turns the rule off.
    /// </summary>
    /// <param name="left">Time until the certificate expires; negative once expired.</param>
    /// <param name="warning">The warning threshold.</param>
    /// <param name="source">The data source.</param>
    public IReadOnlyList<HoldfastAlert> ObserveCertificate(TimeSpan left, TimeSpan warning, string source)
    {
        var next = warning <= TimeSpan.Zero ? AlertLevel.Normal
            : left < TimeSpan.Zero ? AlertLevel.Critical
            : left < warning ? AlertLevel.Warning
            : AlertLevel.Normal;
        HoldfastAlert alert;
        lock (gate)
        {
            var previous = levels.GetValueOrDefault(HoldfastAlert.CertificateExpiryRule);
            if (next == previous)
            {
                return [];
            }

            levels[HoldfastAlert.CertificateExpiryRule] = next;
            alert = new HoldfastAlert(HoldfastAlert.CertificateExpiryRule, next, previous, left, next == AlertLevel.Critical ? TimeSpan.Zero : warning,
                time.GetUtcNow(), source);
            if (next == AlertLevel.Normal)
            {
                active.Remove(alert.Rule);
            }
            else
            {
                active[alert.Rule] = alert;
            }
        }

        onAlert?.Invoke(alert);
        queue.Writer.TryWrite(alert);
        return [alert];
    }

    /// <summary>Delivers what is queued (at most one delivery timeout per queued alert), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        try
        {
            await delivery.WaitAsync(DeliveryTimeout * (queue.Reader.Count + 1)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await stopping.CancelAsync().ConfigureAwait(false);
        }

        stopping.Dispose();
    }

    private async Task DeliverAsync()
    {
        await foreach (var alert in queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            await Task.WhenAll(sinks.Select(sink => SendAsync(sink, alert))).ConfigureAwait(false);
        }
    }

    private async Task SendAsync(IAlertSink sink, HoldfastAlert alert)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        deadline.CancelAfter(DeliveryTimeout);
        try
        {
            await sink.SendAsync(alert, deadline.Token).AsTask().WaitAsync(deadline.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A sink must never break Holdfast: its failure is logged and delivery goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.AlertSinkFailed(logger, ex, sink.GetType().Name, alert.Rule);
        }
    }
}
