using Holdfast.Resilience;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Holdfast.AspNetCore.Tests;

/// <summary>The <c>Holdfast</c> section of appsettings.json binds what operators set; code still has the last word.</summary>
public sealed class OptionsFromConfigurationTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("holdfast-options-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void AppSettingsJson_HoldfastSection_BindsResilienceStartupAndHealth_AndConfigureRunsOnceAndWins()
    {
        var configuration = FromJson("""
            {
              "ConnectionStrings": { "Database": "postgres://app@db.internal/app" },
              "Holdfast": {
                "Resilience": {
                  "OperationBudget": "4s",
                  "Retry": { "BaseDelay": "100ms" },
                  "CircuitBreaker": { "FailureThreshold": 8, "BreakDuration": "30s" },
                  "Recovery": { "MaxDelay": "750ms" }
                },
                "Startup": { "ServicePhaseBudget": "45s", "RecoveryMaxDelay": "10s" },
                "Health": { "CacheDuration": "2s", "MaxConnections": 3 }
              }
            }
            """);
        var calls = 0;
        var services = new ServiceCollection().AddLogging();
        services.AddHoldfast(configuration, options =>
        {
            calls++;
            options.DataSource.CircuitBreaker.FailureThreshold = 9;   // code wins over configuration
        });
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<HoldfastOptions>>().Value;

        Assert.Equal(1, calls);
        Assert.Equal(TimeSpan.FromSeconds(4), options.DataSource.OperationBudget);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.DataSource.Retry.BaseDelay);
        Assert.Equal(9, options.DataSource.CircuitBreaker.FailureThreshold);
        Assert.Equal(TimeSpan.FromSeconds(30), options.DataSource.CircuitBreaker.BreakDuration);
        Assert.Equal(TimeSpan.FromMilliseconds(750), options.DataSource.Recovery.MaxDelay);
        Assert.Equal(TimeSpan.FromSeconds(45), options.Startup.ServicePhaseBudget);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Startup.RecoveryMaxDelay);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Health.CacheDuration);
        Assert.Equal(3, options.Health.MaxConnections);
    }

    [Fact]
    public void AppSettingsJson_UnreadableAndOutOfRangeValues_FailTheStart_NamingEachKey()
    {
        var configuration = FromJson("""
            {
              "ConnectionStrings": { "Database": "postgres://app@db.internal/app" },
              "Holdfast": {
                "Resilience": { "CircuitBreaker": { "FailureThreshold": 1 }, "Retry": { "MaxDelay": "soon" } },
                "Health": { "MaxConnections": 50 }
              }
            }
            """);
        var services = new ServiceCollection().AddLogging();
        services.AddHoldfast(configuration);
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<HoldfastOptions>>().Value);

        Assert.Contains(error.Failures, f => f.StartsWith("Holdfast:Resilience:Retry:MaxDelay: 'soon' is not a duration", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Holdfast:Resilience:CircuitBreaker:FailureThreshold", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Holdfast:Health:MaxConnections", StringComparison.Ordinal));
    }

    [Fact]
    public void HealthKeys_HoldfastKnows_AreExactlyTheBindableOptions()
    {
        Assert.Equal(
            OptionsBinder.KeysOf(OptionsBinder.HealthSection, typeof(HealthOptions)).Order(StringComparer.Ordinal),
            HoldfastSettings.Keys.Where(k => k.StartsWith(OptionsBinder.HealthSection + ":", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    private IConfiguration FromJson(string json)
    {
        var path = Path.Combine(directory, "appsettings.json");
        File.WriteAllText(path, json);
        return new ConfigurationBuilder().AddJsonFile(path).Build();
    }
}
