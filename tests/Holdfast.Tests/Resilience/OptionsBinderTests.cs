using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Holdfast.Resilience;
using Holdfast.Startup;
using Holdfast.Tests.Support;

namespace Holdfast.Tests.Resilience;

public sealed class OptionsBinderTests
{
    private const string Url = "DATABASE_URL=postgres://app@db.internal/app";

    [Fact]
    public void Builder_FromConfiguration_BindsTheResilienceSection_WithDurationsAsTimeoutsAreWritten()
    {
        var builder = new HoldfastDataSourceBuilder(Config.From(Url,
            "Holdfast:Resilience:OperationBudget=3s",
            "Holdfast:Resilience:PressureCeiling=1.5",
            "Holdfast:Resilience:Retry:BaseDelay=100ms",
            "Holdfast:Resilience:Retry:MaxDelay=00:00:02",
            "Holdfast:Resilience:CircuitBreaker:FailureThreshold=7",
            "Holdfast:Resilience:CircuitBreaker:BreakDuration=2m",
            "Holdfast:Resilience:Recovery:Enabled=false",
            "Holdfast:Resilience:AttemptTimeout:FirstAttempt=2"));

        var options = builder.Options;
        Assert.Equal(TimeSpan.FromSeconds(3), options.OperationBudget);
        Assert.Equal(1.5, options.PressureCeiling);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.Retry.BaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Retry.MaxDelay);
        Assert.Equal(7, options.CircuitBreaker.FailureThreshold);
        Assert.Equal(TimeSpan.FromMinutes(2), options.CircuitBreaker.BreakDuration);
        Assert.False(options.Recovery.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(2), options.AttemptTimeout.FirstAttempt);
        Assert.Null(options.OpenBudget);   // unset keys keep their defaults
    }

    [Fact]
    public void Builder_FromConfiguration_UnreadableValues_AreOneErrorNamingEachKey()
    {
        var error = Assert.Throws<HoldfastConfigurationException>(() => new HoldfastDataSourceBuilder(Config.From(Url,
            "Holdfast:Resilience:Retry:BaseDelay=fast",
            "Holdfast:Resilience:CircuitBreaker:FailureThreshold=5.5",
            "Holdfast:Resilience:Recovery:Enabled=yes")));

        Assert.Equal(
            ["Holdfast:Resilience:CircuitBreaker:FailureThreshold", "Holdfast:Resilience:Recovery:Enabled", "Holdfast:Resilience:Retry:BaseDelay"],
            error.Problems.Select(p => p.Setting).Order(StringComparer.Ordinal));
        Assert.Contains("'fast' is not a duration", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Builder_FromConfiguration_MisspelledOptionKey_IsRefusedWithTheKeyItMeant()
    {
        var error = Assert.Throws<HoldfastConfigurationException>(() => new HoldfastDataSourceBuilder(Config.From(Url,
            "Holdfast:Resilience:CircuitBreaker:FailureTreshold=7")));

        var problem = Assert.Single(error.Problems);
        Assert.Equal("Holdfast:Resilience:CircuitBreaker:FailureTreshold", problem.Setting);
        Assert.Contains("Holdfast:Resilience:CircuitBreaker:FailureThreshold", problem.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryKeyAValidationMessageNames_IsAKeyHoldfastReads()
    {
        var options = new HoldfastDataSourceOptions();
        SetEveryRangeOutOfRange(options, options.AttemptTimeout, options.Retry, options.CircuitBreaker, options.Recovery);
        options.OpenBudget = TimeSpan.FromSeconds(-1);
        options.OperationBudget = TimeSpan.Zero;
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(1);
        options.Recovery.MaxDelay = TimeSpan.FromMilliseconds(10);

        var named = options.Validate().Select(p => p.Setting).Distinct().ToList();

        Assert.True(named.Count >= 12, string.Join(", ", named));
        Assert.All(named, key => Assert.Contains(key, HoldfastSettings.Keys));
    }

    [Fact]
    public void StartupKeys_HoldfastKnows_AreExactlyTheBindableOptions()
    {
        Assert.Equal(
            OptionsBinder.KeysOf(OptionsBinder.StartupSection, typeof(StartupOptions)).Order(StringComparer.Ordinal),
            HoldfastSettings.Keys.Where(k => k.StartsWith(OptionsBinder.StartupSection + ":", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    /// <summary>Sets every [Range]-checked property to just above its maximum.</summary>
    private static void SetEveryRangeOutOfRange(params object[] targets)
    {
        foreach (var target in targets)
        {
            foreach (var property in target.GetType().GetProperties().Where(p => p.CanWrite))
            {
                if (property.GetCustomAttribute<RangeAttribute>() is not { } range)
                {
                    continue;
                }

                var value = property.PropertyType == typeof(TimeSpan) ? (object)(TimeSpan.Parse((string)range.Maximum, System.Globalization.CultureInfo.InvariantCulture) + TimeSpan.FromDays(1))
                    : property.PropertyType == typeof(int) ? (object)((int)range.Maximum + 1)
                    : (object)(Convert.ToDouble(range.Maximum, System.Globalization.CultureInfo.InvariantCulture) + 1);
                property.SetValue(target, value);
            }
        }
    }
}
