using Holdfast.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace Holdfast.Tests.Telemetry;

public sealed class AlertMonitorTests
{
    private static readonly AlertRule Staging = AlertRule.ConnectTimeFor(HoldfastEnvironment.Staging);

    [Theory]
    [InlineData(HoldfastEnvironment.Development, 10, 15)]
    [InlineData(HoldfastEnvironment.Test, 10, 15)]
    [InlineData(HoldfastEnvironment.Staging, 20, 25)]
    [InlineData(HoldfastEnvironment.Production, 30, 45)]
    public void ConnectTimeFor_EachEnvironmentHasItsThresholds(HoldfastEnvironment environment, int warning, int critical)
    {
        var rule = AlertRule.ConnectTimeFor(environment);

        Assert.Equal(TimeSpan.FromSeconds(warning), rule.Warning);
        Assert.Equal(TimeSpan.FromSeconds(critical), rule.Critical);
    }

    [Fact]
    public async Task Observe_FiresOncePerCrossing_NotOncePerSample()
    {
        var sink = new RecordingSink();
        await using var monitor = new AlertMonitor([Staging], [sink], new FakeTimeProvider());

        var changes = new[] { 5, 21, 22, 23, 21, 24, 22 }.SelectMany(s => monitor.Observe(TimeSpan.FromSeconds(s), "db")).ToList();

        var raised = Assert.Single(changes);
        Assert.Equal(AlertLevel.Warning, raised.Level);
        Assert.Equal(TimeSpan.FromSeconds(21), raised.Value);
        Assert.Equal(TimeSpan.FromSeconds(20), raised.Threshold);
        Assert.True(raised.IsRaised);
        Assert.Equal([raised], monitor.Active);
        await monitor.DisposeAsync();
        Assert.Equal([raised], sink.Received);
    }

    [Fact]
    public async Task Observe_WalksUpAndDownTheLevels_WithHysteresis()
    {
        await using var monitor = new AlertMonitor([Staging], [], new FakeTimeProvider());

        // 26 critical; 24 stays critical (>= 22.5); 22 warning; 19 stays warning (>= 18); 17 back to normal; 30 critical again.
        var levels = new[] { 26, 24, 22, 19, 17, 17, 30 }
            .SelectMany(s => monitor.Observe(TimeSpan.FromSeconds(s), "db"))
            .Select(a => $"{a.Previous}->{a.Level}")
            .ToList();

        Assert.Equal(["Normal->Critical", "Critical->Warning", "Warning->Normal", "Normal->Critical"], levels);
    }

    [Fact]
    public async Task Delivery_AThrowingOrHangingSinkNeverBreaksTheCallerOrTheOtherSinks()
    {
        var good = new RecordingSink();
        var monitor = new AlertMonitor([Staging], [new ThrowingSink(), new HangingSink(), good], new FakeTimeProvider())
        {
            DeliveryTimeout = TimeSpan.FromMilliseconds(100),
        };

        var changes = monitor.Observe(TimeSpan.FromSeconds(30), "db");
        monitor.Observe(TimeSpan.FromSeconds(1), "db");
        await monitor.DisposeAsync();

        Assert.Single(changes);
        Assert.Equal(2, good.Received.Count);
        Assert.Equal(AlertLevel.Normal, good.Received[1].Level);
    }

    private sealed class RecordingSink : IAlertSink
    {
        public List<HoldfastAlert> Received { get; } = [];

        public ValueTask SendAsync(HoldfastAlert alert, CancellationToken cancellationToken)
        {
            lock (Received)
            {
                Received.Add(alert);
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class ThrowingSink : IAlertSink
    {
        public ValueTask SendAsync(HoldfastAlert alert, CancellationToken cancellationToken) => throw new InvalidOperationException("pager down");
    }

    private sealed class HangingSink : IAlertSink
    {
        public async ValueTask SendAsync(HoldfastAlert alert, CancellationToken cancellationToken) =>
            await Task.Delay(Timeout.InfiniteTimeSpan, CancellationToken.None);
    }
}
