using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Holdfast.Resilience;

/// <summary>
/// Listens to Npgsql's own meter for two facts Npgsql does not otherwise expose: physical connect times
/// (<c>db.client.connection.npgsql.create_time</c>) and callers queueing for a pooled connection
/// (<c>db.client.connection.npgsql.pending_requests</c>), per pool name. One listener serves the process;
/// measurements arrive only on physical connects and pool waits, never on plain rentals.
/// </summary>
internal static class NpgsqlPoolObserver
{
    private const string NpgsqlMeter = "Npgsql";
    private const string CreateTime = "db.client.connection.npgsql.create_time";
    private const string PendingRequests = "db.client.connection.npgsql.pending_requests";
    private const string PoolNameTag = "db.client.connection.pool.name";

    private static readonly ConcurrentDictionary<string, PoolState> Pools = new(StringComparer.Ordinal);
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
                if (instrument.Meter.Name == NpgsqlMeter && instrument.Name is CreateTime or PendingRequests)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>(static (instrument, value, tags, _) =>
        {
            if (instrument.Name == CreateTime && Find(tags) is { } pool)
            {
                pool.OnConnectCreated(TimeSpan.FromSeconds(value));
            }
        });
        listener.SetMeasurementEventCallback<int>(static (instrument, value, tags, _) =>
        {
            if (instrument.Name == PendingRequests && Find(tags) is { } pool)
            {
                pool.AddPending(value);
            }
        });
        listener.Start();
        return listener;
    }

    private static PoolState? Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == PoolNameTag && tag.Value is string name)
            {
                return Pools.GetValueOrDefault(name);
            }
        }

        return null;
    }

    /// <summary>What is known of one pool.</summary>
    internal sealed class PoolState(string poolName) : IDisposable
    {
        private int pending;
        private int waitStarts;

        public string PoolName { get; } = poolName;

        /// <summary>Callers waiting for a pooled connection right now.</summary>
        public int Pending => Volatile.Read(ref pending);

        /// <summary>Raised on each physical connect with its duration.</summary>
        public event Action<TimeSpan>? ConnectCreated;

        /// <summary>How many pool waits have started, ever: a change during an attempt means the pool was full then.</summary>
        public int WaitStarts => Volatile.Read(ref waitStarts);

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
