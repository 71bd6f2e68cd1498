namespace Holdfast.Telemetry;

/// <summary>Minimum, percentiles and maximum of a set of latencies.</summary>
/// <param name="Count">How many samples.</param>
/// <param name="Min">The smallest.</param>
/// <param name="P50">The median.</param>
/// <param name="P95">The 95th percentile.</param>
/// <param name="P99">The 99th percentile.</param>
/// <param name="Max">The largest.</param>
public sealed record LatencySummary(int Count, TimeSpan Min, TimeSpan P50, TimeSpan P95, TimeSpan P99, TimeSpan Max)
{
    /// <summary>The summary of no samples.</summary>
    public static LatencySummary Empty { get; } = new(0, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>Summarises samples; percentiles interpolate linearly between the nearest ranks.</summary>
    /// <param name="samples">The latencies, in any order.</param>
    public static LatencySummary From(IEnumerable<TimeSpan> samples)
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
    public static TimeSpan Percentile(IReadOnlyList<long> sortedTicks, double quantile)
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
