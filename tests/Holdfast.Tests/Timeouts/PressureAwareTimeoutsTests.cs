using Holdfast.Telemetry;
using Holdfast.Tests.Support;
using Holdfast.Timeouts;

namespace Holdfast.Tests.Timeouts;

public sealed class PressureAwareTimeoutsTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void NoPressure_LeavesTheProfileAlone()
    {
        Assert.Same(TimeoutProfile.Staging, PressureAwareTimeouts.Apply(TimeoutProfile.Staging, PressureIndicators.None));
    }

    [Fact]
    public void NetworkPathScaling_StretchesTheConnectionTimeoutByHalf()
    {
        var effective = PressureAwareTimeouts.Apply(TimeoutProfile.Staging, new PressureIndicators(networkPathScaling: true));

        Assert.Equal(TimeSpan.FromSeconds(52.5), effective.Connection);
        Assert.Equal(TimeoutProfile.Staging.Initialization, effective.Initialization);
    }

    [Fact]
    public void DatabaseCapacityPressure_StretchesInitializationByAFifth()
    {
        var effective = PressureAwareTimeouts.Apply(TimeoutProfile.Staging, new PressureIndicators(databaseCapacity: true));

        Assert.Equal(TimeSpan.FromSeconds(90), effective.Initialization);
        Assert.Equal(TimeoutProfile.Staging.Connection, effective.Connection);
    }

    [Fact]
    public void MeasuredP95AboveHalfTheConnectionTimeout_StretchesConnectionAndInitialization()
    {
        var measured = Window(TimeSpan.FromSeconds(21), 20);

        var explained = PressureAwareTimeouts.Explain(TimeoutProfile.Staging, PressureIndicators.None, measured);
        var connection = explained.Single(e => e.Kind == TimeoutKind.Connection);

        // p95 21 s against half of 35 s (17.5 s): x1.2, so 42 s; initialization 75 s -> 90 s.
        Assert.Equal(TimeSpan.FromSeconds(42), connection.Final);
        Assert.Equal(TimeSpan.FromSeconds(21), connection.MeasuredP95);
        Assert.Equal(1.2, connection.MeasuredFactor, 6);
        Assert.Contains("measured connect p95 21 s", connection.Reason, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(90), explained.Single(e => e.Kind == TimeoutKind.Initialization).Final);
        Assert.Equal(TimeoutProfile.Staging.Pool, explained.Single(e => e.Kind == TimeoutKind.Pool).Final);
    }

    [Fact]
    public void MeasuredP95BelowHalf_IsNoPressure()
    {
        var measured = Window(TimeSpan.FromSeconds(10), 20);

        Assert.Same(TimeoutProfile.Staging, PressureAwareTimeouts.Apply(TimeoutProfile.Staging, PressureIndicators.None, measured));
    }

    [Fact]
    public void CombinedPressure_IsCappedAtTheCeiling_AndNeverShortensATimeout()
    {
        var measured = Window(TimeSpan.FromSeconds(30), 20);

        var explained = PressureAwareTimeouts.Explain(TimeoutProfile.Staging, new PressureIndicators(true, true), measured, ceilingFactor: 2.0);
        var connection = explained.Single(e => e.Kind == TimeoutKind.Connection);

        // 35 x 1.5 x (30 / 17.5) = 90 s, capped at 2 x 35 = 70 s.
        Assert.Equal(TimeSpan.FromSeconds(70), connection.Final);
        Assert.Contains("capped at 70 s", connection.Reason, StringComparison.Ordinal);
        Assert.All(explained, e => Assert.True(e.Final >= e.Base));
        Assert.All(explained, e => Assert.True(e.Final <= e.Ceiling || e.Final == e.Base));
    }

    [Fact]
    public void ConnectionCeiling_NeverPassesNpgsqlsLimit()
    {
        var profile = TimeoutProfile.Seconds(2000, 900, 900, 100, 100);

        var effective = PressureAwareTimeouts.Apply(profile, new PressureIndicators(networkPathScaling: true));

        Assert.Equal(TimeSpan.FromSeconds(1024), effective.Connection);
    }

    [Theory]
    [InlineData("true", "false", true, false)]
    [InlineData("1", "", true, false)]
    [InlineData("False", "TRUE", false, true)]
    public void From_ReadsTheIndicatorsFromConfiguration(string network, string capacity, bool expectedNetwork, bool expectedCapacity)
    {
        var pressure = PressureIndicators.From(Config.From($"Holdfast:Pressure:NetworkPathScaling={network}", $"Holdfast:Pressure:DatabaseCapacity={capacity}"));

        Assert.Equal(new PressureIndicators(expectedNetwork, expectedCapacity), pressure);
    }

    [Fact]
    public void From_NotABoolean_NamesTheKey()
    {
        var ex = Assert.Throws<HoldfastConfigurationException>(() => PressureIndicators.From(Config.From("Holdfast:Pressure:NetworkPathScaling=maybe")));

        Assert.Equal("Holdfast:Pressure:NetworkPathScaling", ex.Setting);
    }

    private static LatencySnapshot Window(TimeSpan latency, int samples)
    {
        var window = new ConnectLatencyWindow();
        for (var i = 0; i < samples; i++)
        {
            window.Record(latency, At);
        }

        return window.Current;
    }
}
