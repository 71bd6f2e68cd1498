using Holdfast.Timeline;

namespace Holdfast.Tests.Timeline;

public sealed class TimelineRingTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void SamplesInOneBucket_AreCountedAveragedAndTheirMaximumKept_PerSeries()
    {
        var ring = new TimelineRing(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        ring.Record(TimelineSeries.Connect, Start.AddMilliseconds(100), TimeSpan.FromMilliseconds(10));
        ring.Record(TimelineSeries.Connect, Start.AddMilliseconds(900), TimeSpan.FromMilliseconds(30));
        ring.Record(TimelineSeries.Operation, Start.AddMilliseconds(500), TimeSpan.FromMilliseconds(2));
        ring.Record(TimelineSeries.Connect, Start.AddSeconds(1), TimeSpan.FromMilliseconds(50));

        var points = ring.Points(Start.AddSeconds(2));

        Assert.Equal([Start, Start.AddSeconds(1)], points.Select(p => p.At));
        Assert.Equal(new LatencyAggregate(2, 20, 30), points[0].Connect);
        Assert.Equal(new LatencyAggregate(1, 2, 2), points[0].Operation);
        Assert.Null(points[0].Open);
        Assert.Equal(new LatencyAggregate(1, 50, 50), points[1].Connect);
    }

    [Fact]
    public void FailuresByKind_Refusals_TheBusiestPoolAndTheWorstCircuitState_ArePerBucket()
    {
        var ring = new TimelineRing(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        ring.RecordFailure(Start, "refused");
        ring.RecordFailure(Start.AddMilliseconds(10), "refused", 2);
        ring.RecordFailure(Start.AddMilliseconds(20), "timeout");
        ring.RecordRejected(Start.AddMilliseconds(30), 5);
        ring.Sample(Start.AddMilliseconds(100), new PoolUsage(3, 1, 10, 0), CircuitState.Closed);
        ring.Sample(Start.AddMilliseconds(400), new PoolUsage(0, 10, 10, 4), CircuitState.Open);
        ring.Sample(Start.AddMilliseconds(800), new PoolUsage(4, 0, 10, 0), CircuitState.HalfOpen);

        var point = Assert.Single(ring.Points(Start.AddSeconds(1)));

        Assert.Equal(new Dictionary<string, int> { ["refused"] = 3, ["timeout"] = 1 }, point.Failures);
        Assert.Equal(5, point.Rejected);
        Assert.Equal(new PoolUsage(0, 10, 10, 4), point.Pool);
        Assert.Equal(CircuitState.Open, point.Circuit);
    }

    [Fact]
    public void Points_KeepOnlyTheSpan_OverwriteTheOldest_AndStartAtTheBucketHoldingFrom()
    {
        var ring = new TimelineRing(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        for (var i = 0; i < 25; i++)
        {
            ring.RecordRejected(Start.AddSeconds(i));
        }

        var now = Start.AddSeconds(24.5);
        Assert.Equal(Enumerable.Range(15, 10).Select(i => Start.AddSeconds(i)), ring.Points(now).Select(p => p.At));
        Assert.Equal([Start.AddSeconds(23), Start.AddSeconds(24)], ring.Points(now, from: Start.AddSeconds(23.7)).Select(p => p.At));
        // Nothing newer than the span: a reader an hour later sees an empty ring, not stale buckets.
        Assert.Empty(ring.Points(now.AddHours(1)));
    }

    [Fact]
    public void Resolution_AndSpan_AreChecked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimelineRing(TimeSpan.Zero, TimeSpan.FromMinutes(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimelineRing(TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1)));
    }
}
