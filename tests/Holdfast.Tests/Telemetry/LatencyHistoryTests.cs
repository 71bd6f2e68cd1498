using Holdfast.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace Holdfast.Tests.Telemetry;

public sealed class LatencyHistoryTests
{
    [Fact]
    public void Summarize_CountsFailuresAndEstimatesPercentilesWithinTenPercent()
    {
        var time = new FakeTimeProvider();
        var history = new LatencyHistory(time);
        for (var i = 1; i <= 100; i++)
        {
            history.RecordSuccess(TimeSpan.FromMilliseconds(i * 10));
            time.Advance(TimeSpan.FromSeconds(10));
        }

        history.RecordFailure();

        var summary = history.Summarize(TimeSpan.FromHours(1));

        Assert.Equal(100, summary.Count);
        Assert.Equal(1, summary.Failures);
        Assert.Equal(TimeSpan.FromMilliseconds(505), summary.Mean);
        Assert.Equal(TimeSpan.FromSeconds(1), summary.Max);
        Assert.InRange(summary.P50.TotalMilliseconds, 500 * 0.9, 500 * 1.2);
        Assert.InRange(summary.P95.TotalMilliseconds, 950 * 0.9, 1000);
    }

    [Fact]
    public void Summarize_LeavesOutWhatIsOlderThanTheSpanOrTheRetention()
    {
        var time = new FakeTimeProvider();
        var history = new LatencyHistory(time, TimeSpan.FromMinutes(1), TimeSpan.FromHours(2));
        history.RecordSuccess(TimeSpan.FromSeconds(9));
        time.Advance(TimeSpan.FromMinutes(90));
        history.RecordSuccess(TimeSpan.FromSeconds(1));

        Assert.Equal(1, history.Summarize(TimeSpan.FromHours(1)).Count);
        Assert.Equal(2, history.Summarize(TimeSpan.FromHours(2)).Count);
        time.Advance(TimeSpan.FromHours(3));
        Assert.Equal(0, history.Summarize(TimeSpan.FromHours(24)).Count);
    }

    [Fact]
    public void Trend_RecentHourAgainstTheDay()
    {
        var time = new FakeTimeProvider();
        var history = new LatencyHistory(time);
        for (var i = 0; i < 23 * 60; i++)
        {
            history.RecordSuccess(TimeSpan.FromMilliseconds(100));
            time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(TrendDirection.Stable, history.Trend(TimeSpan.FromHours(1), TimeSpan.FromHours(24)).Direction);

        for (var i = 0; i < 60; i++)
        {
            history.RecordSuccess(TimeSpan.FromMilliseconds(400));
            time.Advance(TimeSpan.FromMinutes(1));
        }

        var trend = history.Trend(TimeSpan.FromHours(1), TimeSpan.FromHours(24));
        Assert.Equal(TrendDirection.Degrading, trend.Direction);
        Assert.True(trend.P95Ratio > 3, trend.P95Ratio?.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Trend_TooFewSamples_IsUnknown()
    {
        var history = new LatencyHistory(new FakeTimeProvider());
        history.RecordSuccess(TimeSpan.FromSeconds(1));

        Assert.Equal(TrendDirection.Unknown, history.Trend(TimeSpan.FromHours(1), TimeSpan.FromHours(24)).Direction);
    }
}
