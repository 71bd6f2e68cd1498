using Holdfast.Configuration;
using Holdfast.Tests.Support;
using Holdfast.Timeouts;

namespace Holdfast.Tests.Timeouts;

public sealed class HoldfastTimeoutsTests
{
    [Fact]
    public void Resolve_NoOverrides_UsesTheEnvironmentProfileAndSaysSo()
    {
        var timeouts = HoldfastTimeouts.Resolve(Config.From("HOLDFAST_ENVIRONMENT=staging"));

        Assert.Equal(HoldfastEnvironment.Staging, timeouts.Environment);
        Assert.Equal(TimeoutProfile.Staging, timeouts.Profile);
        Assert.All(timeouts.Settings, s => Assert.Equal("staging profile", s.Source));
        Assert.Empty(timeouts.Validate());
    }

    [Fact]
    public void Resolve_ConfigurationOverride_WinsAndNamesItsKey()
    {
        var timeouts = HoldfastTimeouts.Resolve(Config.From("HOLDFAST_ENVIRONMENT=staging", "Holdfast:Timeouts:Connection=50s"));

        Assert.Equal(new TimeoutSetting(TimeoutKind.Connection, TimeSpan.FromSeconds(50), "Holdfast:Timeouts:Connection"),
            timeouts[TimeoutKind.Connection]);
    }

    [Fact]
    public void Resolve_UrlConnectTimeout_OverridesProfileButNotConfiguration()
    {
        var endpoint = DatabaseEndpoint.Parse("postgres://app@db/orders?connect_timeout=12");

        var fromUrl = HoldfastTimeouts.Resolve(Config.From(), endpoint);
        var fromConfig = HoldfastTimeouts.Resolve(Config.From("Holdfast:Timeouts:Connection=14"), endpoint);

        Assert.Equal(TimeSpan.FromSeconds(12), fromUrl.Profile.Connection);
        Assert.Equal("connection connect timeout", fromUrl[TimeoutKind.Connection].Source);
        Assert.Equal(TimeSpan.FromSeconds(14), fromConfig.Profile.Connection);
    }

    [Fact]
    public void Resolve_ForcedEnvironment_WinsOverVariables()
    {
        var timeouts = HoldfastTimeouts.Resolve(Config.From("HOLDFAST_ENVIRONMENT=staging"), endpoint: null, environment: new DetectedEnvironment(HoldfastEnvironment.Production, "--environment"));

        Assert.Equal(TimeoutProfile.Production, timeouts.Profile);
        Assert.Equal("--environment", timeouts.EnvironmentSource);
    }

    [Theory]
    [InlineData("staging", "Holdfast:Timeouts:Connection=30", "Holdfast:Timeouts:Connection: is 30 s, below the staging floor of 35 s")]
    [InlineData("staging", "Holdfast:Timeouts:Initialization=60", "Holdfast:Timeouts:Initialization: is 60 s, below the staging floor of 75 s")]
    [InlineData("staging", "Holdfast:Timeouts:Pool=44", "Holdfast:Timeouts:Pool: is 44 s, below the staging floor of 45 s")]
    [InlineData("production", "Holdfast:Timeouts:Connection=20", "Holdfast:Timeouts:Connection: is 20 s, below the production floor of 35 s")]
    [InlineData("development", "Holdfast:Timeouts:Connection=40", "Holdfast:Timeouts:Connection: is 40 s, longer than the initialization budget of 30 s")]
    [InlineData("development", "Holdfast:Timeouts:HealthCheck=0", "Holdfast:Timeouts:HealthCheck: is 0 s; a timeout must be positive")]
    [InlineData("development", "Holdfast:Timeouts:Pool=-1", "Holdfast:Timeouts:Pool: is -1 s; a timeout must be positive")]
    public void Validate_BrokenRule_NamesTheSettingAndTheLimit(string environment, string overrideLine, string expected)
    {
        var timeouts = HoldfastTimeouts.Resolve(Config.From("HOLDFAST_ENVIRONMENT=" + environment, overrideLine));

        var problem = Assert.Single(timeouts.Validate());

        Assert.StartsWith(expected, problem.ToString(), StringComparison.Ordinal);
        Assert.Contains("Fix:", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DevelopmentHasNoFloors()
    {
        var timeouts = HoldfastTimeouts.Resolve(Config.From("HOLDFAST_ENVIRONMENT=development", "Holdfast:Timeouts:Connection=1", "Holdfast:Timeouts:Pool=1", "Holdfast:Timeouts:Initialization=2"));

        Assert.Empty(timeouts.Validate());
    }

    [Fact]
    public void Validate_ConnectTimeoutBeyondNpgsqlsLimit_IsAProblem()
    {
        var timeouts = HoldfastTimeouts.Resolve(Config.From("Holdfast:Timeouts:Connection=2000", "Holdfast:Timeouts:Initialization=3000"));

        Assert.Contains(timeouts.Validate(), p => p.Problem.Contains("cannot exceed 1024 s", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_UrlConnectTimeoutBelowStagingFloor_NamesTheUrlAsSource()
    {
        var endpoint = DatabaseEndpoint.Resolve(Config.From("DATABASE_URL=postgres://app@db/orders?connect_timeout=10"));

        var problem = Assert.Single(HoldfastTimeouts.Resolve(Config.From("HOLDFAST_ENVIRONMENT=staging"), endpoint).Validate());

        Assert.Equal("Holdfast:Timeouts:Connection (from DATABASE_URL connect timeout)", problem.Setting);
    }

    [Fact]
    public void EnsureValid_SeveralProblems_ListsThemAll()
    {
        var timeouts = HoldfastTimeouts.Resolve(Config.From("HOLDFAST_ENVIRONMENT=staging",
            "Holdfast:Timeouts:Connection=10", "Holdfast:Timeouts:Pool=10"));

        var ex = Assert.Throws<HoldfastConfigurationException>(() => timeouts.EnsureValid());

        Assert.Equal(2, ex.Problems.Count);
        Assert.Contains("2 configuration problems", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_OverrideNotADuration_NamesTheKey()
    {
        var ex = Assert.Throws<HoldfastConfigurationException>(() =>
            HoldfastTimeouts.Resolve(Config.From("Holdfast:Timeouts:TableSetup=forever")));

        Assert.Equal("Holdfast:Timeouts:TableSetup", ex.Setting);
    }
}
