using Holdfast.Capacity;
using Holdfast.Configuration;
using Holdfast.Tests.Support;

namespace Holdfast.Tests.Capacity;

public sealed class CapacitySettingsTests
{
    private static readonly DatabaseEndpoint Endpoint = DatabaseEndpoint.Parse("postgres://app:pw@127.0.0.1:5432/app");

    [Fact]
    public void PoolSize_DefaultsToNpgsqls_WithNoCapacityPlanned()
    {
        var settings = CapacitySettings.Resolve(Config.From(), Endpoint);

        Assert.Equal(new SourcedValue<int>(100, "Npgsql default"), settings.PoolSize);
        Assert.Null(settings.Planned);
        Assert.Null(settings.Check());
    }

    [Fact]
    public void PoolSize_FromTheConnectionString_NamesItsSource()
    {
        var endpoint = DatabaseEndpoint.Parse("Host=127.0.0.1;Database=app;Username=app;Password=pw;Maximum Pool Size=12", "ConnectionStrings:Database");

        var settings = CapacitySettings.Resolve(Config.From(), endpoint);

        Assert.Equal(12, settings.PoolSize.Value);
        Assert.Equal("ConnectionStrings:Database Maximum Pool Size", settings.PoolSize.Source);
    }

    [Fact]
    public void PoolSize_FromHoldfastPoolMaxSize_WinsOverTheConnectionString()
    {
        var endpoint = DatabaseEndpoint.Parse("Host=127.0.0.1;Database=app;Username=app;Password=pw;Maximum Pool Size=12");

        var settings = CapacitySettings.Resolve(Config.From("Holdfast:Pool:MaxSize=8"), endpoint);

        Assert.Equal(new SourcedValue<int>(8, CapacitySettings.PoolSizeKey), settings.PoolSize);
    }

    [Fact]
    public void Check_APoolOverThePlannedCapacity_IsAProblemWithTheLargestThatFits()
    {
        var settings = CapacitySettings.Resolve(Config.From(
            "Holdfast:Pool:MaxSize=30", "Holdfast:Capacity:MaxConnections=100", "Holdfast:Capacity:Instances=4", "Holdfast:Capacity:RolloutOverlap=2"), Endpoint);

        var problem = settings.Check();

        Assert.NotNull(problem);
        Assert.Equal(CapacitySettings.PoolSizeKey, problem.Setting);
        Assert.Contains("6 instances at once (rollout included) x (30 + 1 overflow) = 186 connections, over the budget of 77", problem.Problem, StringComparison.Ordinal);
        Assert.Contains("at most 11", problem.Fix, StringComparison.Ordinal);
        Assert.Equal("Holdfast:Capacity:RolloutOverlap", settings.Capacity["RolloutOverlap"].Source);
        Assert.Equal("default", settings.Capacity["Reserved"].Source);
    }

    [Fact]
    public void AnAutoscalingFleet_IsCheckedAtItsMaximumWithTheSurge_AndTheHeadroomIsWhatIsLeft()
    {
        // 6 to 12 instances, one more during a rollout: 13 at once. Budget floor((40 - 3 - 1) x 0.8) = 28, 2 per instance.
        var fits = CapacitySettings.Resolve(Config.From("Holdfast:Pool:MaxSize=1", "Holdfast:Capacity:MaxConnections=40", "Holdfast:Capacity:OtherClients=1",
            "Holdfast:Capacity:MaxInstances=12", "Holdfast:Capacity:MaxSurge=1"), Endpoint);
        var over = CapacitySettings.Resolve(Config.From("Holdfast:Pool:MaxSize=2", "Holdfast:Capacity:MaxConnections=40", "Holdfast:Capacity:OtherClients=1",
            "Holdfast:Capacity:MaxInstances=12", "Holdfast:Capacity:MaxSurge=10%"), Endpoint);

        Assert.Null(fits.Check());
        Assert.Equal(13, fits.Planned!.Instances + fits.Planned.RolloutOverlap);
        Assert.Equal(28 - (13 * 2), fits.Headroom());
        Assert.NotNull(over.Check());
        Assert.Contains("at the fleet's maximum, 14 instances at once", over.Check()!.Problem, StringComparison.Ordinal);
        Assert.Equal(28 - (14 * 3), over.Headroom());
        Assert.Throws<HoldfastConfigurationException>(() => CapacitySettings.Resolve(Config.From("Holdfast:Capacity:MaxConnections=40",
            "Holdfast:Capacity:MaxInstances=12", "Holdfast:Capacity:MaxSurge=lots"), Endpoint));
        Assert.Throws<HoldfastConfigurationException>(() => CapacitySettings.Resolve(Config.From("Holdfast:Capacity:MaxConnections=40",
            "Holdfast:Capacity:MaxInstances=12", "Holdfast:Capacity:MaxSurge=1", "Holdfast:Capacity:RolloutOverlap=1"), Endpoint));
    }

    [Fact]
    public void Check_APoolThatFits_IsNoProblem()
    {
        var settings = CapacitySettings.Resolve(Config.From(
            "Holdfast:Pool:MaxSize=9", "Holdfast:Capacity:MaxConnections=100", "Holdfast:Capacity:Instances=4", "Holdfast:Capacity:RolloutOverlap=2"), Endpoint);

        Assert.Null(settings.Check());
    }

    [Theory]
    [InlineData("Holdfast:Pool:MaxSize=lots", "Holdfast:Pool:MaxSize", "'lots' is not a number")]
    [InlineData("Holdfast:Pool:MaxSize=0", "Holdfast:Pool:MaxSize", "a pool needs at least one connection")]
    [InlineData("Holdfast:Pool:MaxSize=2.5", "Holdfast:Pool:MaxSize", "not a whole number")]
    [InlineData("Holdfast:Capacity:SafetyMargin=2", "Holdfast:Capacity", "safety margin")]
    public void Resolve_BadValues_NameTheSetting(string variable, string setting, string problem)
    {
        var error = Assert.Throws<HoldfastConfigurationException>(() => CapacitySettings.Resolve(
            Config.From(variable, "Holdfast:Capacity:MaxConnections=100", "Holdfast:Capacity:Instances=2"), Endpoint));

        Assert.Equal(setting, error.Setting);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }
}
