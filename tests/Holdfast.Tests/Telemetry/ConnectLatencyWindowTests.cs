using Holdfast.Telemetry;

namespace Holdfast.Tests.Telemetry;

public sealed class ConnectLatencyWindowTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Record_KeepsTheMostRecentSamplesAndTheirPercentiles()
    {
        var window = new ConnectLatencyWindow(capacity: 10);
        for (var i = 1; i <= 15; i++)
        {
            window.Record(TimeSpan.FromMilliseconds(i), At.AddSeconds(i));
        }

        var snapshot = window.Current;

        Assert.Equal(10, snapshot.Count);
        Assert.Equal(TimeSpan.FromMilliseconds(6), snapshot.Summary.Min);
        Assert.Equal(TimeSpan.FromMilliseconds(15), snapshot.Summary.Max);
        Assert.Equal(TimeSpan.FromMilliseconds(10.5), snapshot.Summary.P50);
        Assert.Equal(TimeSpan.FromMilliseconds(15), snapshot.Last);
        Assert.Equal(At.AddSeconds(15), snapshot.LastAt);
    }

    [Fact]
    public void Current_IsAnImmutableSnapshot()
    {
        var window = new ConnectLatencyWindow();
        window.Record(TimeSpan.FromSeconds(1), At);
        var before = window.Current;

        window.Record(TimeSpan.FromSeconds(3), At);

        Assert.Equal(1, before.Count);
        Assert.Equal(2, window.Current.Count);
    }
}
