using System.Diagnostics.Metrics;
using Holdfast.Telemetry;
using Holdfast.Timeline;

namespace Holdfast.AspNetCore.Dashboard;

/// <summary>
/// Keeps the dashboard's time series: the last hour by the second and the last day by the minute. It listens to the
/// data source's own instruments (connect, open and operation durations, failures by kind, refusals) and samples the
/// pool and the circuit every second. It runs only when the dashboard is mapped (started with the host), so an
/// application without the dashboard pays nothing for it. A duration costs the caller a few lock-free additions: they
/// are aggregated per series and moved into the rings once a second (and before the dashboard reads them), attributed to
/// the second the interval began in. Failures and refusals are rare and go into the rings as they come.
/// </summary>
internal sealed class ConnectivityRecorder : IDisposable
{
    private static readonly Dictionary<string, TimelineSeries> Durations = new(StringComparer.Ordinal)
    {
        ["db.client.connection.create_time"] = TimelineSeries.Connect,
        ["db.client.connection.wait_time"] = TimelineSeries.Open,
        ["holdfast.operation.duration"] = TimelineSeries.Operation,
    };

    private const string FailuresInstrument = "holdfast.connection.failures";
    private const string RejectionsInstrument = "holdfast.connection.rejections";

    private readonly HoldfastDataSource dataSource;
    private readonly TimeProvider time;
    private readonly Lock gate = new();
    private readonly Lock flushGate = new();
    private readonly LatencyAccumulator[] pending = [.. Enum.GetValues<TimelineSeries>().Select(_ => new LatencyAccumulator())];
    private DateTimeOffset pendingSince;
    private MeterListener? listener;
    private ITimer? sampler;

    public ConnectivityRecorder(HoldfastDataSource dataSource, TimeProvider time)
    {
        this.dataSource = dataSource;
        this.time = time;
        pendingSince = time.GetUtcNow();
    }

    /// <summary>The last hour, one point per second.</summary>
    public TimelineRing Recent { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));

    /// <summary>The last day, one point per minute.</summary>
    public TimelineRing History { get; } = new(TimeSpan.FromMinutes(1), TimeSpan.FromHours(24));

    /// <summary>Starts listening and sampling (once).</summary>
    public void Start()
    {
        lock (gate)
        {
            if (listener is not null)
            {
                return;
            }

            var meter = dataSource.Instruments.Meter;
            listener = new MeterListener
            {
                InstrumentPublished = (instrument, subscribe) =>
                {
                    if (!ReferenceEquals(instrument.Meter, meter))
                    {
                        return;
                    }

                    if (Durations.TryGetValue(instrument.Name, out var series))
                    {
                        subscribe.EnableMeasurementEvents(instrument, pending[(int)series]);
                    }
                    else if (instrument.Name is FailuresInstrument or RejectionsInstrument)
                    {
                        subscribe.EnableMeasurementEvents(instrument, this);
                    }
                },
            };
            listener.SetMeasurementEventCallback<double>(OnDuration);
            listener.SetMeasurementEventCallback<long>(OnCount);
            listener.Start();
            sampler = time.CreateTimer(_ => SampleOnTimer(), null, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Moves the durations aggregated since the last flush into the rings (the timer does it every second).</summary>
    public void Flush()
    {
        lock (flushGate)
        {
            var since = pendingSince;
            pendingSince = time.GetUtcNow();
            foreach (var series in Enum.GetValues<TimelineSeries>())
            {
                var (count, sum, max) = pending[(int)series].Flush();
                Recent.Record(series, since, count, sum, max);
                History.Record(series, since, count, sum, max);
            }
        }
    }

    /// <summary>Flushes the durations and samples the pool and the circuit now (the timer does it every second).</summary>
    public void Sample()
    {
        Flush();
        var at = time.GetUtcNow();
        var pool = dataSource.PoolUsage;
        var circuit = dataSource.Status.State;
        Recent.Sample(at, pool, circuit);
        History.Sample(at, pool, circuit);
    }

    private void SampleOnTimer()
    {
        try
        {
            Sample();
        }
#pragma warning disable CA1031 // An exception on a timer thread would end the process: a sample is not worth that.
        catch (Exception)
#pragma warning restore CA1031
        {
            // The data source went first at shutdown, or its pool could not be read this second: the next tick tries again.
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            sampler?.Dispose();
            listener?.Dispose();
        }
    }

    private void OnDuration(Instrument instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (state is LatencyAccumulator series && Ours(tags))
        {
            series.Add((long)(seconds * TimeSpan.TicksPerSecond));
        }
    }

    private void OnCount(Instrument instrument, long count, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (!Ours(tags))
        {
            return;
        }

        var at = time.GetUtcNow();
        if (instrument.Name == RejectionsInstrument)
        {
            Recent.RecordRejected(at, (int)count);
            History.RecordRejected(at, (int)count);
            return;
        }

        var kind = Tag(tags, HoldfastInstruments.FailureKindTag) ?? "unknown";
        Recent.RecordFailure(at, kind, (int)count);
        History.RecordFailure(at, kind, (int)count);
    }

    /// <summary>Holdfast's own instruments carry the data source's name; the convention-named ones, the same name as the pool's.</summary>
    private bool Ours(ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        string.Equals(Tag(tags, HoldfastInstruments.DataSourceTag) ?? Tag(tags, HoldfastInstruments.PoolNameTag), dataSource.Name, StringComparison.Ordinal);

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }

        return null;
    }
}
