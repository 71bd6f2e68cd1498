using Microsoft.Extensions.Configuration;

namespace Holdfast.AspNetCore.Tests;

public sealed class HoldfastOptionsValidatorTests
{
    [Fact]
    public void Validate_ValidConfiguration_Succeeds()
    {
        var result = Validate(new HoldfastOptions(), "DATABASE_URL=postgres://app@db/app", "HOLDFAST_ENVIRONMENT=staging");

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_EveryProblemNamesItsSetting()
    {
        var options = new HoldfastOptions();
        options.DataSource.CircuitBreaker.FailureThreshold = 1;
        options.Health.MaxConnections = 0;

        var result = Validate(options, "DATABASE_URL=postgres://app@db/app", "HOLDFAST_ENVIRONMENT=staging",
            "Holdfast:Timeouts:Connection=20", "Holdfast:Timeouts:Pool=30");

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("Holdfast:Timeouts:Connection: is 20 s, below the staging floor of 35 s", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Holdfast:Timeouts:Pool: is 30 s, below the staging floor of 45 s", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Holdfast:Resilience:CircuitBreaker:FailureThreshold", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Holdfast:Health:MaxConnections", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_MalformedUrl_NamesTheVariableWithoutThePassword()
    {
        var result = Validate(new HoldfastOptions(), "DATABASE_URL=postgres://app:S3%ZZcr3t@db/app");

        Assert.True(result.Failed);
        Assert.StartsWith("DATABASE_URL: the password has a '%'", result.Failures!.Single(), StringComparison.Ordinal);
        Assert.DoesNotContain("cr3t", result.FailureMessage, StringComparison.Ordinal);
    }

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(HoldfastOptions options, params string[] variables)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(variables.Select(v =>
        {
            var equals = v.IndexOf('=');
            return new KeyValuePair<string, string?>(v[..equals], v[(equals + 1)..]);
        })).Build();
        return new HoldfastOptionsValidator(new HoldfastConfiguration(configuration)).Validate(null, options);
    }
}
