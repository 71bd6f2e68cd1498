namespace Holdfast.Telemetry;

/// <summary>Minimum, percentiles and maximum of a set of latencies.</summary>
public sealed record LatencySummary
{
    internal LatencySummary(int count, TimeSpan min, TimeSpan p50, TimeSpan p95, TimeSpan p99, TimeSpan max)
    {
        Count = count;
        Min = min;
        P50 = p50;
        P95 = p95;
        P99 = p99;
        Max = max;
    }

    /// <summary>How many samples.</summary>
    public int Count { get; init; }

    /// <summary>The smallest.</summary>
    public TimeSpan Min { get; init; }

    /// <summary>The median.</summary>
    public TimeSpan P50 { get; init; }

    /// <summary>The 95th percentile.</summary>
    public TimeSpan P95 { get; init; }

    /// <summary>The 99th percentile.</summary>
    public TimeSpan P99 { get; init; }

    /// <summary>The largest.</summary>
    public TimeSpan Max { get; init; }

    /// <summary>The summary of no samples.</summary>
    public static LatencySummary Empty { get; } = new(0, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>Summarises samples; percentiles interpolate linearly between the nearest ranks.</summary>
    /// <param name="samples">The latencies, in any order.</param>
    internal static LatencySummary From(IEnumerable<TimeSpan> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var sorted = samples.Select(s => s.Ticks).Order().ToArray();
        return sorted.Length == 0
            ? Empty
            : new LatencySummary(sorted.Length, TimeSpan.FromTicks(sorted[0]), Percentile(sorted, 0.50),
                Percentile(sorted, 0.95), Percentile(sorted, 0.99), TimeSpan.FromTicks(sorted[^1]));
    }

    /// <summary>The <paramref name="quantile"/> (0..1) of sorted ticks, interpolated between the nearest ranks.</summary>
    /// <param name="sortedTicks">Ticks in ascending order; not empty.</param>
    /// <param name="quantile">The quantile, from 0 to 1.</param>
    internal static TimeSpan Percentile(IReadOnlyList<long> sortedTicks, double quantile)
    {
        ArgumentNullException.ThrowIfNull(sortedTicks);
        ArgumentOutOfRangeException.ThrowIfZero(sortedTicks.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(quantile, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quantile, 1);
        var rank = quantile * (sortedTicks.Count - 1);
        var lower = (int)Math.Floor(rank);
        var upper = (int)Math.Ceiling(rank);
        var ticks = sortedTicks[lower] + ((sortedTicks[upper] - sortedTicks[lower]) * (rank - lower));
        return TimeSpan.FromTicks((long)Math.Round(ticks));
    }
}
