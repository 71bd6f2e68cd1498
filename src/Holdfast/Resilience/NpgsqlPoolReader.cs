using System.Diagnostics.Metrics;

namespace Holdfast.Resilience;

/// <summary>
/// Reads pool usage from Npgsql's observable instruments (<c>db.client.connection.count</c> by state,
/// <c>db.client.connection.max</c>) on demand. Each read polls every Npgsql pool in the process, so it is for
/// health and monitoring, not the hot path.
/// </summary>
internal static class NpgsqlPoolReader
{
    private const string Count = "db.client.connection.count";
    private const string MaxCount = "db.client.connection.max";
    private const string PoolNameTag = "db.client.connection.pool.name";
    private const string StateTag = "db.client.connection.state";

    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, (int Idle, int Busy, int Max)> Readings = new(StringComparer.Ordinal);
    private static readonly Lazy<MeterListener> Listener = new(Start);

    public static (int Idle, int Busy, int Max) Read(string poolName)
    {
        lock (Gate)
        {
            Readings.Clear();
            Listener.Value.RecordObservableInstruments();
            return Readings.GetValueOrDefault(poolName);
        }
    }

    private static MeterListener Start()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Npgsql" && instrument.Name is Count or MaxCount)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>(static (instrument, value, tags, _) => Record(instrument.Name, value, tags));
        listener.SetMeasurementEventCallback<long>(static (instrument, value, tags, _) => Record(instrument.Name, (int)value, tags));
        listener.Start();
        return listener;
    }

    private static void Record(string instrument, int value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? pool = null;
        string? state = null;
        foreach (var tag in tags)
        {
            if (tag.Key == PoolNameTag)
            {
                pool = tag.Value as string;
            }
            else if (tag.Key == StateTag)
            {
                state = tag.Value as string;
            }
        }

        if (pool is null)
        {
            return;
        }

        var reading = Readings.GetValueOrDefault(pool);
        Readings[pool] = instrument == MaxCount ? reading with { Max = value }
            : state == "idle" ? reading with { Idle = value }
            : reading with { Busy = value };
    }
}
