using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Holdfast.Telemetry;

/// <summary>
/// The instruments of the <c>Holdfast</c> meter. OpenTelemetry picks them up with <c>AddMeter("Holdfast")</c>. Where the
/// OpenTelemetry semantic conventions for database client connections name a measurement that Npgsql does not emit
/// under that name, Holdfast emits it under the convention's name, with <c>db.client.connection.pool.name</c> (the data
/// source's name, which is also Npgsql's pool name); connection counts by state and the pool's maximum are Npgsql's own
/// (<c>db.client.connection.count</c>, <c>db.client.connection.max</c>) and are not repeated here.
/// <list type="bullet">
/// <item><c>db.client.connection.create_time</c> (s): physical connects, as Npgsql times them.</item>
/// <item><c>db.client.connection.wait_time</c> (s): guarded opens as the caller waits for them, retries included; a
/// rental of an idle pooled connection, which does not wait, is recorded as 0 (timing it would cost more than it takes).</item>
/// <item><c>db.client.connection.timeouts</c>: guarded calls that got no connection in time (the pool stayed full, or no connect within the budget).</item>
/// <item><c>db.client.connection.pending_requests</c>: callers waiting for a connection through the guard now.</item>
/// <item><c>holdfast.operation.duration</c> (s): guarded operations (<c>ExecuteAsync</c>, EF Core operations), retries included; calls refused by the open circuit are not timed.</item>
/// <item><c>holdfast.connection.failures</c>: failed attempts, by <c>holdfast.failure.kind</c>.</item>
/// <item><c>holdfast.connection.retries</c>: retries, by the kind that caused them.</item>
/// <item><c>holdfast.connection.rejections</c>: calls refused at once because the circuit is open.</item>
/// <item><c>holdfast.budget.exhausted</c>: calls that failed because their budget ran out, by <c>holdfast.operation</c>.</item>
/// <item><c>holdfast.circuit.state</c>: 0 closed, 1 half-open, 2 open, 3 isolated; <c>holdfast.circuit.opens</c>: times it opened.</item>
/// <item><c>holdfast.alerts</c>: alert level changes, by <c>holdfast.alert.rule</c> and <c>holdfast.alert.level</c>.</item>
/// <item><c>holdfast.startup.phase.duration</c> (s): start-up phases, by <c>holdfast.startup.phase</c> and <c>holdfast.startup.status</c>.</item>
/// <item><c>holdfast.tls.certificate.expiry</c> (s): time left on the server's certificate, once one was seen.</item>
/// </list>
/// Every <c>holdfast.*</c> measurement carries <c>holdfast.data_source</c>. docs/metrics.md has the full table.
/// </summary>
public sealed class HoldfastInstruments : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Holdfast";

    /// <summary>The tag naming the data source.</summary>
    public const string DataSourceTag = "holdfast.data_source";

    /// <summary>The OpenTelemetry attribute naming the pool on <c>db.client.connection.*</c> instruments: the data source's name.</summary>
    public const string PoolNameTag = "db.client.connection.pool.name";

    /// <summary>The tag naming the guarded operation (<c>open</c>, <c>execute</c>).</summary>
    public const string OperationTag = "holdfast.operation";

    /// <summary>The tag naming an alert rule.</summary>
    internal const string AlertRuleTag = "holdfast.alert.rule";

    /// <summary>The tag naming an alert level (<c>warning</c>, <c>critical</c>, <c>normal</c>).</summary>
    internal const string AlertLevelTag = "holdfast.alert.level";

    /// <summary>The tag naming a failure kind.</summary>
    public const string FailureKindTag = "holdfast.failure.kind";

    /// <summary>
    /// Bucket boundaries for every duration (seconds): fine below a second, and every connect-time threshold of every
    /// environment (10, 15, 20, 25, 30, 45 s) a boundary, so a Prometheus rule on a threshold reads it exactly. The
    /// OpenTelemetry default (0, 5, 10, 25, 50 … 10000) suits milliseconds, not seconds.
    /// </summary>
    private static readonly InstrumentAdvice<double> Durations = new()
    {
        HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 25, 30, 45, 60, 75, 120],
    };

    private readonly ConcurrentDictionary<string, Func<int>> circuits = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<double?>> certificates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<int>> pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Measurement<double>[]> thresholds = new(StringComparer.Ordinal);
    private readonly bool ownsMeter;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/> (the DI way).</summary>
    /// <param name="meterFactory">The factory.</param>
    public HoldfastInstruments(IMeterFactory meterFactory)
        : this((meterFactory ?? throw new ArgumentNullException(nameof(meterFactory))).Create(MeterName), ownsMeter: false)
    {
    }

    private HoldfastInstruments(Meter meter, bool ownsMeter)
    {
        Meter = meter;
        this.ownsMeter = ownsMeter;
        ConnectDuration = meter.CreateHistogram<double>("db.client.connection.create_time", "s",
            "The time it took to create a new connection: a physical connect, TLS and authentication included.", tags: null, advice: Durations);
        OpenDuration = meter.CreateHistogram<double>("db.client.connection.wait_time", "s",
            "The time it took to obtain an open connection through the guard, retries included; 0 for an idle pooled connection handed over at once.", tags: null, advice: Durations);
        ConnectionTimeouts = meter.CreateCounter<long>("db.client.connection.timeouts", "{timeout}",
            "Guarded calls that got no connection in time: the pool stayed full, or no connect succeeded within the budget.");
        meter.CreateObservableUpDownCounter("db.client.connection.pending_requests", ObservePending, "{request}",
            "Callers waiting for a connection through the guard.");
        OperationDuration = meter.CreateHistogram<double>("holdfast.operation.duration", "s", "Guarded operation duration (ExecuteAsync and EF Core operations), retries included.", tags: null, advice: Durations);
        Failures = meter.CreateCounter<long>("holdfast.connection.failures", "{failure}", "Failed attempts by kind.");
        Retries = meter.CreateCounter<long>("holdfast.connection.retries", "{retry}", "Retries by the kind that caused them.");
        Rejections = meter.CreateCounter<long>("holdfast.connection.rejections", "{call}", "Calls rejected at once by an open circuit.");
        BudgetExhausted = meter.CreateCounter<long>("holdfast.budget.exhausted", "{call}",
            "Calls that failed because their budget ran out while transient failures were retried, by operation.");
        CircuitOpens = meter.CreateCounter<long>("holdfast.circuit.opens", "{open}", "Times the circuit opened (failures in a row reached the threshold, or a half-open call failed).");
        EndedConnections = meter.CreateCounter<long>("holdfast.connection.ended", "{connection}",
            "Pooled connections the server had already ended (terminated, idle timeout, restart), discarded before a caller got them.");
        Alerts = meter.CreateCounter<long>("holdfast.alerts", "{alert}", "Alert level changes.");
        StartupPhaseDuration = meter.CreateHistogram<double>("holdfast.startup.phase.duration", "s", "Start-up phase duration.", tags: null, advice: Durations);
        meter.CreateObservableGauge("holdfast.circuit.state", ObserveCircuits, "{state}", "0 closed, 1 half-open, 2 open, 3 isolated.");
        meter.CreateObservableGauge("holdfast.alert.threshold", ObserveThresholds, "s",
            "The in-process alert rules' thresholds, by rule and level: what the shipped Prometheus rules compare with.");
        meter.CreateObservableGauge("holdfast.tls.certificate.expiry", ObserveCertificates, "s",
            "Time until the server's TLS certificate expires (negative once expired), as last seen.");
    }

    /// <summary>Instruments on a process-wide <c>Holdfast</c> meter, for use without dependency injection.</summary>
    public static HoldfastInstruments Shared { get; } = new(new Meter(MeterName, typeof(HoldfastInstruments).Assembly.GetName().Version?.ToString()), ownsMeter: true);

    /// <summary>The meter.</summary>
    public Meter Meter { get; }

    internal Histogram<double> ConnectDuration { get; }

    internal Histogram<double> OpenDuration { get; }

    internal Histogram<double> OperationDuration { get; }

    internal Counter<long> Failures { get; }

    internal Counter<long> Retries { get; }

    internal Counter<long> Rejections { get; }

    internal Counter<long> ConnectionTimeouts { get; }

    internal Counter<long> BudgetExhausted { get; }

    internal Counter<long> CircuitOpens { get; }

    internal Counter<long> Alerts { get; }

    internal Counter<long> EndedConnections { get; }

    internal Histogram<double> StartupPhaseDuration { get; }

    /// <summary>The tag value of an alert level.</summary>
    internal static string LevelName(AlertLevel level) => level switch
    {
        AlertLevel.Warning => "warning",
        AlertLevel.Critical => "critical",
        _ => "normal",
    };

    /// <summary>The tag value of a failure kind.</summary>
    /// <param name="kind">The kind.</param>
    internal static string KindTag(FailureKind kind) => KindNames[(int)kind];

    /// <inheritdoc />
    public void Dispose()
    {
        if (ownsMeter)
        {
            Meter.Dispose();
        }
    }

    /// <summary>Reports a data source's circuit state through <c>holdfast.circuit.state</c> until disposed.</summary>
    internal IDisposable TrackCircuit(string source, Func<int> state)
    {
        circuits[source] = state;
        return new Registration(() => circuits.TryRemove(source, out _));
    }

    /// <summary>
    /// Reports a data source's alert thresholds through <c>holdfast.alert.threshold</c> until disposed: each connect-time
    /// rule's warning and critical, and the certificate-expiry warning (time left below which it warns).
    /// </summary>
    internal IDisposable TrackThresholds(string source, IEnumerable<AlertRule> rules, TimeSpan certificateWarning)
    {
        var sourceTag = new KeyValuePair<string, object?>(DataSourceTag, source);
        Measurement<double> Threshold(string rule, AlertLevel level, TimeSpan value) => new(value.TotalSeconds, sourceTag,
            new KeyValuePair<string, object?>(AlertRuleTag, rule), new KeyValuePair<string, object?>(AlertLevelTag, LevelName(level)));
        thresholds[source] =
        [
            .. rules.SelectMany(r => new[] { Threshold(r.Name, AlertLevel.Warning, r.Warning), Threshold(r.Name, AlertLevel.Critical, r.Critical) }),
            Threshold(HoldfastAlert.CertificateExpiryRule, AlertLevel.Warning, certificateWarning),
        ];
        return new Registration(() => thresholds.TryRemove(source, out _));
    }

    /// <summary>Reports how many callers of a data source wait for a connection, through <c>db.client.connection.pending_requests</c>, until disposed.</summary>
    internal IDisposable TrackPending(string source, Func<int> waiting)
    {
        pending[source] = waiting;
        return new Registration(() => pending.TryRemove(source, out _));
    }

    /// <summary>Reports a data source's server certificate expiry through <c>holdfast.tls.certificate.expiry</c> until disposed.</summary>
    internal IDisposable TrackCertificate(string source, Func<double?> secondsLeft)
    {
        certificates[source] = secondsLeft;
        return new Registration(() => certificates.TryRemove(source, out _));
    }

    private IEnumerable<Measurement<double>> ObserveCertificates()
    {
        foreach (var (source, secondsLeft) in certificates)
        {
            if (secondsLeft() is { } seconds)
            {
                yield return new Measurement<double>(seconds, new KeyValuePair<string, object?>(DataSourceTag, source));
            }
        }
    }

    private IEnumerable<Measurement<double>> ObserveThresholds() => thresholds.Values.SelectMany(t => t);

    private IEnumerable<Measurement<int>> ObservePending() =>
        pending.Select(p => new Measurement<int>(p.Value(), new KeyValuePair<string, object?>(PoolNameTag, p.Key)));

    private IEnumerable<Measurement<int>> ObserveCircuits() =>
        circuits.Select(c => new Measurement<int>(c.Value(), new KeyValuePair<string, object?>(DataSourceTag, c.Key)));

    private static readonly string[] KindNames = [.. Enum.GetNames<FailureKind>().Select(ToSnakeCase)];

    private static string ToSnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private sealed class Registration(Action dispose) : IDisposable
    {
        private Action? dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref dispose, null)?.Invoke();
    }
}
