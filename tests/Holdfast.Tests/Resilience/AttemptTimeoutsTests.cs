using Holdfast.Resilience;
using Holdfast.Telemetry;

namespace Holdfast.Tests.Resilience;

public sealed class AttemptTimeoutsTests
{
    private static readonly AttemptTimeoutOptions Options = new();
    private static readonly DateTimeOffset At = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 10)]
    [InlineData(2, 20)]
    [InlineData(3, 35)]
    [InlineData(30, 35)]
    public void WithoutHistory_IsProgressiveAndCappedByTheConnectionTimeout(int attempt, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), AttemptTimeouts.For(attempt, TimeSpan.FromSeconds(35), LatencySnapshot.Empty, Options));
    }

    [Theory]
    [InlineData(0.05, 1)]      // a fast path: the floor, not 200 ms
    [InlineData(0.8, 3.2)]     // 4 x p99
    [InlineData(3, 12)]        // a slow but healthy Cloud SQL connect is never cut
    [InlineData(20, 35)]       // never above the connection timeout
    public void WithSteadyLatency_ConvergesOnFourTimesTheLatencyWithinFloorAndCeiling(double latencySeconds, double expectedSeconds)
    {
        var window = new ConnectLatencyWindow();
        for (var i = 0; i < 200; i++)
        {
            window.Record(TimeSpan.FromSeconds(latencySeconds), At);
        }

        var first = AttemptTimeouts.For(0, TimeSpan.FromSeconds(35), window.Current, Options);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), first);
    }

    [Fact]
    public void AfterAShiftInLatency_TheWindowMovesAndTheTimeoutFollows()
    {
        var window = new ConnectLatencyWindow(capacity: 50);
        var timeouts = new List<TimeSpan>();
        foreach (var latency in Enumerable.Repeat(0.5, 50).Concat(Enumerable.Repeat(2.0, 60)))
        {
            window.Record(TimeSpan.FromSeconds(latency), At);
            timeouts.Add(AttemptTimeouts.For(0, TimeSpan.FromSeconds(35), window.Current, Options));
        }

        Assert.Equal(TimeSpan.FromSeconds(2), timeouts[49]);
        Assert.Equal(TimeSpan.FromSeconds(8), timeouts[^1]);
        Assert.All(timeouts, t => Assert.InRange(t, Options.Minimum, TimeSpan.FromSeconds(35)));
        // Before there is history the first-attempt default (5 s) applies; from then on, monotone while latency only rises.
        Assert.Equal(Options.FirstAttempt, timeouts[0]);
        var withHistory = timeouts.Skip(Options.MinimumSamples - 1).ToList();
        Assert.True(withHistory.Zip(withHistory.Skip(1)).All(p => p.Second >= p.First), string.Join(", ", withHistory.Select(t => t.TotalSeconds)));
    }

    [Fact]
    public void WithHistory_RetriesStillDoubleUpToTheCeiling()
    {
        var window = new ConnectLatencyWindow();
        for (var i = 0; i < 10; i++)
        {
            window.Record(TimeSpan.FromMilliseconds(10), At);
        }

        var schedule = Enumerable.Range(0, 8).Select(a => AttemptTimeouts.For(a, TimeSpan.FromSeconds(20), window.Current, Options).TotalSeconds);

        Assert.Equal([1, 2, 4, 8, 16, 20, 20, 20], schedule);
    }

    [Fact]
    public void FewerSamplesThanTheMinimum_AreNotHistoryYet()
    {
        var window = new ConnectLatencyWindow();
        for (var i = 0; i < Options.MinimumSamples - 1; i++)
        {
            window.Record(TimeSpan.FromMilliseconds(10), At);
        }

        Assert.Equal(Options.FirstAttempt, AttemptTimeouts.For(0, TimeSpan.FromSeconds(35), window.Current, Options));
    }
}
