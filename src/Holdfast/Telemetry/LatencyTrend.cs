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
public sealed record LatencyTrend
{
    internal LatencyTrend(HistorySummary recent, HistorySummary baseline, long recentFailures, long baselineFailures, TrendDirection direction, double? p95Ratio)
    {
        Recent = recent;
        Baseline = baseline;
        RecentFailures = recentFailures;
        BaselineFailures = baselineFailures;
        Direction = direction;
        P95Ratio = p95Ratio;
    }

    /// <summary>The recent window's summary.</summary>
    public HistorySummary Recent { get; init; }

    /// <summary>The baseline window's summary (it includes the recent one).</summary>
    public HistorySummary Baseline { get; init; }

    /// <summary>Failed connects in the recent window.</summary>
    public long RecentFailures { get; init; }

    /// <summary>Failed connects in the baseline window.</summary>
    public long BaselineFailures { get; init; }

    /// <summary>The conclusion.</summary>
    public TrendDirection Direction { get; init; }

    /// <summary>Recent p95 divided by baseline p95; null when either is empty.</summary>
    public double? P95Ratio { get; init; }
}

/// <summary>Counts and approximate percentiles over a span of <see cref="LatencyHistory"/>.</summary>
public sealed record HistorySummary
{
    internal HistorySummary(TimeSpan span, long count, long failures, TimeSpan mean, TimeSpan p50, TimeSpan p95, TimeSpan max)
    {
        Span = span;
        Count = count;
        Failures = failures;
        Mean = mean;
        P50 = p50;
        P95 = p95;
        Max = max;
    }

    /// <summary>The span of time covered.</summary>
    public TimeSpan Span { get; init; }

    /// <summary>Successful samples.</summary>
    public long Count { get; init; }

    /// <summary>Failed attempts.</summary>
    public long Failures { get; init; }

    /// <summary>Mean of the successful samples.</summary>
    public TimeSpan Mean { get; init; }

    /// <summary>Approximate median (log-bucket histogram, within about 10 %).</summary>
    public TimeSpan P50 { get; init; }

    /// <summary>Approximate 95th percentile.</summary>
    public TimeSpan P95 { get; init; }

    /// <summary>Exact maximum.</summary>
    public TimeSpan Max { get; init; }
}
