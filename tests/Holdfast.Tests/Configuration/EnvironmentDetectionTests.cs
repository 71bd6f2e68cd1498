using Holdfast.Configuration;
using Holdfast.Tests.Support;

namespace Holdfast.Tests.Configuration;

public sealed class EnvironmentDetectionTests
{
    [Theory]
    [InlineData(new[] { "HOLDFAST_ENVIRONMENT=staging", "ENVIRONMENT=production" }, HoldfastEnvironment.Staging, "HOLDFAST_ENVIRONMENT")]
    [InlineData(new[] { "ENVIRONMENT=prod", "ASPNETCORE_ENVIRONMENT=Development" }, HoldfastEnvironment.Production, "ENVIRONMENT")]
    [InlineData(new[] { "ASPNETCORE_ENVIRONMENT=Staging", "DOTNET_ENVIRONMENT=Production" }, HoldfastEnvironment.Staging, "ASPNETCORE_ENVIRONMENT")]
    [InlineData(new[] { "DOTNET_ENVIRONMENT=Test" }, HoldfastEnvironment.Test, "DOTNET_ENVIRONMENT")]
    [InlineData(new[] { "ENVIRONMENT=Docker", "ASPNETCORE_ENVIRONMENT=Production" }, HoldfastEnvironment.Production, "ASPNETCORE_ENVIRONMENT")]
    [InlineData(new string[0], HoldfastEnvironment.Production, "default, as the .NET host")]
    public void Detect_FollowsThePrecedenceAndSkipsUnknownGeneralNames(string[] variables, HoldfastEnvironment expected, string source)
    {
        var detected = EnvironmentDetection.Detect(Config.From(variables));

        Assert.Equal(new DetectedEnvironment(expected, source), detected);
    }

    [Fact]
    public void Detect_UnknownHoldfastEnvironment_IsAnErrorNamingTheVariable()
    {
        var ex = Assert.Throws<HoldfastConfigurationException>(() => EnvironmentDetection.Detect(Config.From("HOLDFAST_ENVIRONMENT=qa")));

        Assert.Equal("HOLDFAST_ENVIRONMENT", ex.Setting);
        Assert.Contains("use development, test, staging or production", ex.Message, StringComparison.Ordinal);
    }
}
