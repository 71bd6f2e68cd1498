namespace Holdfast.Telemetry;

/// <summary>
/// Connect latency over hours: one bucket per <see cref="Resolution"/> (a minute by default) for
/// <see cref="Retention"/> (24 h by default), each holding a count, sum, maximum and a log-scale histogram,
/// so summaries and trends over any span are approximate percentiles without keeping every sample.
/// </summary>
public sealed class LatencyHistory
{
    // Histogram bins: bin i holds samples below 100 µs × 1.2^i; 70 bins reach past 30 minutes.
    private const int Bins = 70;
    private const double Growth = 1.2;
    private static readonly double FirstBinTicks = TimeSpan.FromMilliseconds(0.1).Ticks;

    private readonly Lock gate = new();
    private readonly Bucket[] buckets;
    private readonly TimeProvider time;

    /// <summary>Creates a history.</summary>
    /// <param name="time">The clock.</param>
    /// <param name="resolution">The bucket width; one minute by default.</param>
    /// <param name="retention">How far back it keeps; 24 hours by default.</param>
    internal LatencyHistory(TimeProvider time, TimeSpan? resolution = null, TimeSpan? retention = null)
    {
        this.time = time;
        Resolution = resolution ?? TimeSpan.FromMinutes(1);
        Retention = retention ?? TimeSpan.FromHours(24);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Resolution, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(Retention, Resolution);
        buckets = new Bucket[(int)Math.Ceiling(Retention / Resolution) + 1];
    }

    /// <summary>The bucket width.</summary>
    public TimeSpan Resolution { get; }

    /// <summary>How far back the history reaches.</summary>
    public TimeSpan Retention { get; }

    /// <summary>Records a successful connect.</summary>
    /// <param name="duration">How long it took.</param>
    internal void RecordSuccess(TimeSpan duration)
    {
        lock (gate)
        {
            var bucket = Current();
            bucket.Count++;
            bucket.SumTicks += duration.Ticks;
            bucket.MaxTicks = Math.Max(bucket.MaxTicks, duration.Ticks);
            bucket.Histogram[Bin(duration.Ticks)]++;
        }
    }

    /// <summary>Records a failed connect.</summary>
    internal void RecordFailure()
    {
        lock (gate)
        {
            Current().Failures++;
        }
    }

    /// <summary>Summarises the last <paramref name="span"/> (at most <see cref="Retention"/>).</summary>
    /// <param name="span">How far back.</param>
    public HistorySummary Summarize(TimeSpan span)
    {
        var histogram = new long[Bins];
        long count = 0, failures = 0, sum = 0, max = 0;
        lock (gate)
        {
            var now = Index(time.GetUtcNow());
            var oldest = now - (long)Math.Ceiling(Math.Min(span.Ticks, Retention.Ticks) / (double)Resolution.Ticks) + 1;
            foreach (var bucket in buckets)
            {
                if (bucket is null || bucket.Index < oldest || bucket.Index > now)
                {
                    continue;
                }

                count += bucket.Count;
                failures += bucket.Failures;
                sum += bucket.SumTicks;
                max = Math.Max(max, bucket.MaxTicks);
                for (var i = 0; i < Bins; i++)
                {
                    histogram[i] += bucket.Histogram[i];
                }
            }
        }

        return new HistorySummary(span, count, failures, count == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(sum / count),
            Quantile(histogram, count, 0.50, max), Quantile(histogram, count, 0.95, max), TimeSpan.FromTicks(max));
    }

    /// <summary>Compares the last <paramref name="recent"/> with the last <paramref name="baseline"/>.</summary>
    /// <param name="recent">The recent window, e.g. one hour.</param>
    /// <param name="baseline">The baseline window, e.g. 24 hours.</param>
    /// <param name="minimumSamples">Fewer samples than this in either window gives <see cref="TrendDirection.Unknown"/>.</param>
    public LatencyTrend Trend(TimeSpan recent, TimeSpan baseline, int minimumSamples = 5)
    {
        var r = Summarize(recent);
        var b = Summarize(baseline);
        if (r.Count < minimumSamples || b.Count < minimumSamples || b.P95 <= TimeSpan.Zero)
        {
            return new LatencyTrend(r, b, r.Failures, b.Failures, TrendDirection.Unknown, null);
        }

        var ratio = r.P95 / b.P95;
        var direction = ratio > 1.2 ? TrendDirection.Degrading : ratio < 1 / 1.2 ? TrendDirection.Improving : TrendDirection.Stable;
        return new LatencyTrend(r, b, r.Failures, b.Failures, direction, Math.Round(ratio, 3));
    }

    private Bucket Current()
    {
        var index = Index(time.GetUtcNow());
        var slot = (int)(index % buckets.Length);
        if (buckets[slot] is not { } bucket || bucket.Index != index)
        {
            bucket = buckets[slot] = new Bucket(index);
        }

        return bucket;
    }

    private long Index(DateTimeOffset at) => at.UtcTicks / Resolution.Ticks;

    private static int Bin(long ticks) =>
        ticks <= FirstBinTicks ? 0 : Math.Min(Bins - 1, (int)Math.Ceiling(Math.Log(ticks / FirstBinTicks, Growth)));

    private static TimeSpan Quantile(long[] histogram, long count, double quantile, long max)
    {
        if (count == 0)
        {
            return TimeSpan.Zero;
        }

        var rank = (long)Math.Ceiling(quantile * count);
        long seen = 0;
        for (var i = 0; i < Bins; i++)
        {
            seen += histogram[i];
            if (seen >= rank)
            {
                // The bin's upper edge, never above the true maximum.
                return TimeSpan.FromTicks(Math.Min(max, (long)(FirstBinTicks * Math.Pow(Growth, i))));
            }
        }

        return TimeSpan.FromTicks(max);
    }

    private sealed class Bucket(long index)
    {
        public long Index { get; } = index;

        public long Count { get; set; }

        public long Failures { get; set; }

        public long SumTicks { get; set; }

        public long MaxTicks { get; set; }

        public long[] Histogram { get; } = new long[Bins];
    }
}
