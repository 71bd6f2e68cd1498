namespace Holdfast.Telemetry;

/// <summary>
/// The most recent physical connect durations (a ring of <see cref="Capacity"/> samples). Percentiles are
/// computed when a sample arrives (connects are rare next to pool rentals), so reading <see cref="Current"/>
/// on a hot path is a single volatile read.
/// </summary>
internal sealed class ConnectLatencyWindow
{
    private readonly long[] ticks;
    private readonly Lock gate = new();
    private int next;
    private int count;
    private LatencySnapshot current = LatencySnapshot.Empty;

    /// <summary>Creates a window.</summary>
    /// <param name="capacity">How many recent samples it keeps; 100 by default.</param>
    public ConnectLatencyWindow(int capacity = 100)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ticks = new long[capacity];
    }

    /// <summary>How many samples the window keeps at most.</summary>
    public int Capacity => ticks.Length;

    /// <summary>The latest snapshot.</summary>
    public LatencySnapshot Current => Volatile.Read(ref current);

    /// <summary>Raised after each sample with the new snapshot (on the recording thread).</summary>
    public event Action<LatencySnapshot>? Changed;

    /// <summary>Adds a sample.</summary>
    /// <param name="duration">The connect duration.</param>
    /// <param name="at">When it finished.</param>
    public void Record(TimeSpan duration, DateTimeOffset at)
    {
        LatencySnapshot snapshot;
        lock (gate)
        {
            ticks[next] = Math.Max(0, duration.Ticks);
            next = (next + 1) % ticks.Length;
            count = Math.Min(count + 1, ticks.Length);
            var sorted = ticks.AsSpan(0, count).ToArray();
            Array.Sort(sorted);
            snapshot = new LatencySnapshot(new LatencySummary(count, TimeSpan.FromTicks(sorted[0]),
                LatencySummary.Percentile(sorted, 0.50), LatencySummary.Percentile(sorted, 0.95),
                LatencySummary.Percentile(sorted, 0.99), TimeSpan.FromTicks(sorted[^1])), duration, at);
            Volatile.Write(ref current, snapshot);
        }

        Changed?.Invoke(snapshot);
    }
}
