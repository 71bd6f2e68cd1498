namespace Holdfast.Timeline;

/// <summary>
/// Connectivity over time in fixed buckets (e.g. a second for the last hour, a minute for the last day): latency per
/// series, failures by kind, refusals, and sampled pool use and circuit state. The oldest bucket is overwritten when
/// the ring is full. Thread-safe; each record is a lock and a few additions.
/// </summary>
internal sealed class TimelineRing
{
    private static readonly int SeriesCount = Enum.GetValues<TimelineSeries>().Length;

    private readonly Lock gate = new();
    private readonly Bucket?[] buckets;

    /// <summary>Creates a ring.</summary>
    /// <param name="resolution">The width of one bucket.</param>
    /// <param name="span">How far back it reaches; it keeps <c>span / resolution</c> buckets.</param>
    public TimelineRing(TimeSpan resolution, TimeSpan span)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(resolution, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(span, resolution);
        Resolution = resolution;
        Span = span;
        buckets = new Bucket?[(int)Math.Ceiling(span / resolution)];
    }

    /// <summary>The width of one bucket.</summary>
    public TimeSpan Resolution { get; }

    /// <summary>How far back the ring reaches.</summary>
    public TimeSpan Span { get; }

    /// <summary>Records one latency sample.</summary>
    public void Record(TimelineSeries series, DateTimeOffset at, TimeSpan duration) => Record(series, at, 1, duration.Ticks, duration.Ticks);

    /// <summary>Records <paramref name="count"/> latency samples at once, by their sum and their maximum (as aggregated elsewhere).</summary>
    public void Record(TimelineSeries series, DateTimeOffset at, int count, long sumTicks, long maxTicks)
    {
        if (count <= 0)
        {
            return;
        }

        lock (gate)
        {
            var latency = At(at).Latency[(int)series];
            latency.Count += count;
            latency.SumTicks += sumTicks;
            latency.MaxTicks = Math.Max(latency.MaxTicks, maxTicks);
        }
    }

    /// <summary>Records failed attempts of one kind.</summary>
    public void RecordFailure(DateTimeOffset at, string kind, int count = 1)
    {
        lock (gate)
        {
            var failures = At(at).Failures ??= new Dictionary<string, int>(StringComparer.Ordinal);
            failures[kind] = failures.GetValueOrDefault(kind) + count;
        }
    }

    /// <summary>Records calls refused at once by an open circuit.</summary>
    public void RecordRejected(DateTimeOffset at, int count = 1)
    {
        lock (gate)
        {
            At(at).Rejected += count;
        }
    }

    /// <summary>Records a sample of the pool and the circuit; a bucket keeps its busiest pool and its worst circuit state.</summary>
    public void Sample(DateTimeOffset at, PoolUsage? pool, CircuitState circuit)
    {
        lock (gate)
        {
            var bucket = At(at);
            if (pool is not null && (bucket.Pool is null || pool.Busy + pool.Pending >= bucket.Pool.Busy + bucket.Pool.Pending))
            {
                bucket.Pool = pool;
            }

            if (bucket.Circuit is not { } seen || circuit > seen)
            {
                bucket.Circuit = circuit;
            }
        }
    }

    /// <summary>
    /// The buckets within <see cref="Span"/> of <paramref name="now"/>, oldest first, starting with the one that holds
    /// <paramref name="from"/> (so a reader that asks from its newest bucket gets that bucket again, completed).
    /// </summary>
    public IReadOnlyList<TimelinePoint> Points(DateTimeOffset now, DateTimeOffset? from = null)
    {
        var newest = Index(now);
        var oldest = Math.Max(newest - buckets.Length + 1, from is { } start ? Index(start) : long.MinValue);
        var points = new List<TimelinePoint>();
        lock (gate)
        {
            foreach (var bucket in buckets)
            {
                if (bucket is not null && bucket.Index >= oldest && bucket.Index <= newest)
                {
                    points.Add(bucket.ToPoint(Resolution));
                }
            }
        }

        points.Sort((a, b) => a.At.CompareTo(b.At));
        return points;
    }

    private long Index(DateTimeOffset at) => at.UtcTicks / Resolution.Ticks;

    private Bucket At(DateTimeOffset at)
    {
        var index = Index(at);
        var slot = (int)(index % buckets.Length);
        if (buckets[slot] is not { } bucket || bucket.Index != index)
        {
            bucket = buckets[slot] = new Bucket(index);
        }

        return bucket;
    }

    private sealed class Bucket(long index)
    {
        public long Index { get; } = index;

        public Latency[] Latency { get; } = [.. Enumerable.Range(0, SeriesCount).Select(_ => new Latency())];

        public Dictionary<string, int>? Failures { get; set; }

        public int Rejected { get; set; }

        public PoolUsage? Pool { get; set; }

        public CircuitState? Circuit { get; set; }

        public TimelinePoint ToPoint(TimeSpan resolution) => new(
            new DateTimeOffset(Index * resolution.Ticks, TimeSpan.Zero),
            Latency[(int)TimelineSeries.Connect].ToAggregate(),
            Latency[(int)TimelineSeries.Open].ToAggregate(),
            Latency[(int)TimelineSeries.Operation].ToAggregate(),
            Failures is null ? null : new Dictionary<string, int>(Failures, StringComparer.Ordinal),
            Rejected,
            Pool,
            Circuit);
    }

    private sealed class Latency
    {
        public int Count { get; set; }

        public long SumTicks { get; set; }

        public long MaxTicks { get; set; }

        public LatencyAggregate? ToAggregate() => Count == 0
            ? null
            : new LatencyAggregate(Count, Math.Round(TimeSpan.FromTicks(SumTicks / Count).TotalMilliseconds, 3), Math.Round(TimeSpan.FromTicks(MaxTicks).TotalMilliseconds, 3));
    }
}
