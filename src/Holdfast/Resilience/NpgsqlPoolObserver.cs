using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Holdfast.Resilience;

/// <summary>
/// One listener on Npgsql's own meter, for facts Npgsql does not otherwise expose, per pool name:
/// physical connect times (<c>db.client.connection.npgsql.create_time</c>) and callers queueing for a pooled
/// connection (<c>db.client.connection.npgsql.pending_requests</c>), which arrive only on physical connects and pool
/// waits, never on plain rentals; and, on demand, pool usage (<c>db.client.connection.count</c> by state,
/// <c>db.client.connection.max</c>), which polls every Npgsql pool in the process and so is for health and monitoring.
/// </summary>
internal static class NpgsqlPoolObserver
{
    private const string CreateTime = "db.client.connection.npgsql.create_time";
    private const string PendingRequests = "db.client.connection.npgsql.pending_requests";
    private const string Count = "db.client.connection.count";
    private const string MaxCount = "db.client.connection.max";
    private const string PoolNameTag = "db.client.connection.pool.name";
    private const string StateTag = "db.client.connection.state";

    private static readonly ConcurrentDictionary<string, PoolState> Pools = new(StringComparer.Ordinal);
    private static readonly Lock ReadGate = new();
    private static readonly Lazy<MeterListener> Listener = new(Start);

    /// <summary>Starts observing a pool; dispose the state to stop.</summary>
    public static PoolState Observe(string poolName)
    {
        _ = Listener.Value;
        var state = new PoolState(poolName);
        if (!Pools.TryAdd(poolName, state))
        {
            throw new InvalidOperationException($"A data source named '{poolName}' already exists; give each one its own name.");
        }

        return state;
    }

    private static MeterListener Start()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Npgsql" && instrument.Name is CreateTime or PendingRequests or Count or MaxCount)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>(static (instrument, value, tags, unusedState) =>
        {
            if (instrument.Name == CreateTime && Find(tags, out var _) is { } pool)
            {
                pool.OnConnectCreated(TimeSpan.FromSeconds(value));
            }
        });
        listener.SetMeasurementEventCallback<int>(static (instrument, value, tags, _) => OnCount(instrument.Name, value, tags));
        listener.SetMeasurementEventCallback<long>(static (instrument, value, tags, _) => OnCount(instrument.Name, (int)value, tags));
        listener.Start();
        return listener;
    }

    private static void OnCount(string instrument, int value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (Find(tags, out var state) is not { } pool)
        {
            return;
        }

        switch (instrument)
        {
            case PendingRequests:
                pool.AddPending(value);
                break;
            case MaxCount:
                pool.Reading = pool.Reading with { Max = value };
                break;
            case Count when state == "idle":
                pool.Reading = pool.Reading with { Idle = value };
                break;
            case Count:
                pool.Reading = pool.Reading with { Busy = value };
                break;
        }
    }

    private static PoolState? Find(ReadOnlySpan<KeyValuePair<string, object?>> tags, out string? state)
    {
        PoolState? pool = null;
        state = null;
        foreach (var tag in tags)
        {
            if (tag.Key == PoolNameTag && tag.Value is string name)
            {
                pool = Pools.GetValueOrDefault(name);
            }
            else if (tag.Key == StateTag)
            {
                state = tag.Value as string;
            }
        }

        return pool;
    }

    /// <summary>What is known of one pool.</summary>
    internal sealed class PoolState(string poolName) : IDisposable
    {
        private int pending;
        private int waitStarts;

        public string PoolName { get; } = poolName;

        /// <summary>Callers waiting for a pooled connection right now.</summary>
        public int Pending => Volatile.Read(ref pending);

        /// <summary>How many pool waits have started, ever: a change during an attempt means the pool was full then.</summary>
        public int WaitStarts => Volatile.Read(ref waitStarts);

        /// <summary>Raised on each physical connect with its duration.</summary>
        public event Action<TimeSpan>? ConnectCreated;

        /// <summary>The latest polled usage (written under the read gate).</summary>
        internal (int Idle, int Busy, int Max) Reading { get; set; }

        /// <summary>Polls Npgsql's observable pool instruments and returns this pool's idle, busy and maximum counts.</summary>
        public (int Idle, int Busy, int Max) ReadUsage()
        {
            lock (ReadGate)
            {
                Reading = default;
                Listener.Value.RecordObservableInstruments();
                return Reading;
            }
        }

        public void AddPending(int delta)
        {
            if (delta > 0)
            {
                Interlocked.Increment(ref waitStarts);
            }

            Interlocked.Add(ref pending, delta);
        }

        public void OnConnectCreated(TimeSpan duration) => ConnectCreated?.Invoke(duration);

        public void Dispose() => Pools.TryRemove(new KeyValuePair<string, PoolState>(PoolName, this));
    }
}
