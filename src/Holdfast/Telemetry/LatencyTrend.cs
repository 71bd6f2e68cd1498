namespace Holdfast.Telemetry;

/// <summary>Which way connect latency is heading.</summary>
public enum TrendDirection
{
    /// <summary>Not enough samples in one of the windows to say.</summary>
    Unknown,

    /// <summary>The recent p95 is clearly below the baseline's.</summary>
    Improving,

    /// <summary>Within 20 % of the baseline.</summary>
    Stable,

    /// <summary>The recent p95 is clearly above the baseline's.</summary>
    Degrading,
}

/// <summary>A recent window of connect latency compared with a longer baseline (e.g. the last hour against the last 24 h).</summary>
/// <param name="Recent">The recent window's summary.</param>
/// <param name="Baseline">The baseline window's summary (it includes the recent one).</param>
/// <param name="RecentFailures">Failed connects in the recent window.</param>
/// <param name="BaselineFailures">Failed connects in the baseline window.</param>
/// <param name="Direction">The conclusion.</param>
/// <param name="P95Ratio">Recent p95 divided by baseline p95; null when either is empty.</param>
public sealed record LatencyTrend(
    HistorySummary Recent,
    HistorySummary Baseline,
    long RecentFailures,
    long BaselineFailures,
    TrendDirection Direction,
    double? P95Ratio);

/// <summary>Counts and approximate percentiles over a span of <see cref="LatencyHistory"/>.</summary>
/// <param name="Span">The span of time covered.</param>
/// <param name="Count">Successful samples.</param>
/// <param name="Failures">Failed attempts.</param>
/// <param name="Mean">Mean of the successful samples.</param>
/// <param name="P50">Approximate median (log-bucket histogram, within about 10 %).</param>
/// <param name="P95">Approximate 95th percentile.</param>
/// <param name="Max">Exact maximum.</param>
public sealed record HistorySummary(TimeSpan Span, long Count, long Failures, TimeSpan Mean, TimeSpan P50, TimeSpan P95, TimeSpan Max);
