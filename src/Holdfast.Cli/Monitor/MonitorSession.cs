using Holdfast.Telemetry;
using Holdfast.Timeouts;
using Npgsql;

namespace Holdfast.Cli.Monitor;

/// <summary>
/// Takes a sample every interval: a new physical connection through a guarded data source (so retries and the breaker
/// behave as in a service) and <c>SELECT 1</c>, timed separately. Keeps every sample, a latency history for the trend,
/// and the environment's alert rules.
/// </summary>
internal sealed class MonitorSession : IAsyncDisposable
{
    private static readonly TimeSpan WarmUpLimit = TimeSpan.FromSeconds(2);
    private readonly HoldfastDataSource dataSource;
    private readonly TimeProvider time;
    private readonly TimeSpan sampleBudget;
    private readonly List<MonitorSample> samples = [];
    private readonly List<HoldfastAlert> alerts = [];
    private readonly RetryCounter retries;

    public MonitorSession(DatabaseEndpoint endpoint, HoldfastTimeouts timeouts, TimeSpan interval, TimeSpan duration, TimeProvider time)
    {
        Endpoint = endpoint;
        Timeouts = timeouts;
        Interval = interval;
        Duration = duration;
        this.time = time;
        var name = $"holdfast-monitor-{Environment.ProcessId}";
        retries = new RetryCounter(name);
        var builder = new HoldfastDataSourceBuilder(endpoint).UseTimeouts(timeouts).UseTimeProvider(time)
            .Configure(o =>
            {
                o.Name = name;
                o.Recovery.Enabled = false;
                // The monitor counts every connection it makes: no background pooler check (doctor names the pooler).
                o.Pooler = Topology.PoolerMode.None;
            });
        builder.Npgsql.ConnectionStringBuilder.Pooling = false;
        builder.Npgsql.ConnectionStringBuilder.ApplicationName = "holdfast-monitor";
        dataSource = builder.Build();
        // A sample may take the connection timeout, whatever the interval: a slow but healthy connect is not a failure.
        // Ticks a long sample overruns are skipped.
        sampleBudget = timeouts.Profile.Connection;
        Rule = AlertRule.ConnectTimeFor(timeouts.Environment);
        Alerts = new AlertMonitor([Rule], [], time, onAlert: alert =>
        {
            lock (alerts)
            {
                alerts.Add(alert);
            }
        });
        History = new LatencyHistory(time, interval < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : interval, duration + interval + TimeSpan.FromMinutes(1));
        StartedAt = time.GetUtcNow();
    }

    public DatabaseEndpoint Endpoint { get; }

    public HoldfastTimeouts Timeouts { get; }

    public TimeSpan Interval { get; }

    public TimeSpan Duration { get; }

    public AlertRule Rule { get; }

    public AlertMonitor Alerts { get; }

    public LatencyHistory History { get; }

    /// <summary>When sampling began (after the warm-up).</summary>
    public DateTimeOffset StartedAt { get; private set; }

    public CircuitState Breaker => dataSource.Status.State;

    public IReadOnlyList<MonitorSample> Samples
    {
        get
        {
            lock (samples)
            {
                return [.. samples];
            }
        }
    }

    public IReadOnlyList<HoldfastAlert> AlertLog
    {
        get
        {
            lock (alerts)
            {
                return [.. alerts];
            }
        }
    }

    /// <summary>Samples every interval until the duration ends, a permanent failure, or cancellation; calls <paramref name="onSample"/> after each.</summary>
    public async Task RunAsync(Action<MonitorSample> onSample, CancellationToken cancellationToken)
    {
        await WarmUpAsync(cancellationToken).ConfigureAwait(false);
        StartedAt = time.GetUtcNow();
        var started = time.GetTimestamp();
        for (var tick = 0L; ; tick++)
        {
            var due = Interval * tick;
            var wait = due - time.GetElapsedTime(started);
            if (due >= Duration)
            {
                return;
            }

            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            }
            else if (wait < -Interval)
            {
                continue;
            }

            var sample = await SampleAsync(cancellationToken).ConfigureAwait(false);
            lock (samples)
            {
                samples.Add(sample);
            }

            onSample(sample);
            if (sample.FailureKind is { } kind && kind.IsPermanent())
            {
                return;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        retries.Dispose();
        return dataSource.DisposeAsync();
    }

    /// <summary>
    /// One untimed connect + <c>SELECT 1</c> before the first sample, outside the guard (it neither retries nor counts
    /// against the circuit), at most <see cref="WarmUpLimit"/>: the client's one-time start-up cost (JIT, SCRAM set-up —
    /// about 150 ms on a 2-core machine) would otherwise sit in the first sample and skew p95 and the trend.
    /// </summary>
    private async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var settings = Endpoint.ToConnectionStringBuilder("holdfast-monitor");
        settings.Pooling = false;
        settings.Timeout = (int)WarmUpLimit.TotalSeconds;
        settings.CommandTimeout = (int)WarmUpLimit.TotalSeconds;
        try
        {
            await using var connection = new NpgsqlConnection(settings.ConnectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            // The samples will say what is wrong.
        }
    }

    private async Task<MonitorSample> SampleAsync(CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow();
        var started = time.GetTimestamp();
        var retriesBefore = retries.Count;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(sampleBudget, cancellationToken).ConfigureAwait(false);
            var connect = time.GetElapsedTime(started);
            started = time.GetTimestamp();
            await using (var command = new NpgsqlCommand("SELECT 1", connection))
            {
                await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            }

            var query = time.GetElapsedTime(started);
            History.RecordSuccess(connect);
            Alerts.Observe(connect, Endpoint.Hosts[0].ToString());
            return new MonitorSample(at, connect, query, SampleOutcome.Ok, null, (int)(retries.Count - retriesBefore) + 1, Breaker);
        }
        catch (DatabaseUnavailableException unavailable)
        {
            History.RecordFailure();
            return new MonitorSample(at, time.GetElapsedTime(started), TimeSpan.Zero, SampleOutcome.Rejected, unavailable.Failure.Kind, 0, Breaker);
        }
        catch (DatabaseConnectionException failed)
        {
            History.RecordFailure();
            return new MonitorSample(at, time.GetElapsedTime(started), TimeSpan.Zero, SampleOutcome.Failed, failed.Failure.Kind, failed.Attempts, Breaker);
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            History.RecordFailure();
            return new MonitorSample(at, time.GetElapsedTime(started), time.GetElapsedTime(started), SampleOutcome.Failed,
                FailureClassifier.ClassifyKind(ex, Endpoint, FailureOperation.Command), (int)(retries.Count - retriesBefore) + 1, Breaker);
        }
    }
}
