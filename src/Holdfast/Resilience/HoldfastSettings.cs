using Holdfast.Configuration;
using Holdfast.Timeouts;
using Holdfast.Topology;
using Microsoft.Extensions.Configuration;

namespace Holdfast.Resilience;

/// <summary>
/// Every configuration key under <c>Holdfast:</c> that Holdfast reads. Anything else there is a mistake (a misspelled key
/// silently does nothing): it is a problem, with the nearest known key as a suggestion.
/// </summary>
internal static class HoldfastSettings
{
    /// <summary>The keys Holdfast reads, as written in the documentation.</summary>
    public static IReadOnlyList<string> Keys { get; } =
    [
        .. Enum.GetValues<TimeoutKind>().Select(HoldfastTimeouts.KeyFor),
        $"{PressureIndicators.SectionName}:NetworkPathScaling",
        $"{PressureIndicators.SectionName}:DatabaseCapacity",
        PoolSettings.SizeKey,
        .. PoolSettings.CapacityKeys.Select(k => $"{PoolSettings.CapacitySection}:{k}"),
        PoolerSettings.ModeKey,
        .. OptionsBinder.KeysOf(OptionsBinder.ResilienceSection, typeof(HoldfastDataSourceOptions)),
        // Read by the start-up and by Holdfast.AspNetCore's health probe (the tests check these against their options).
        .. new[] { "ServicePhaseBudget", "ConfigurationBudget", "RecoveryInitialDelay", "RecoveryMaxDelay" }.Select(k => $"{OptionsBinder.StartupSection}:{k}"),
        .. new[] { "CacheDuration", "MaxConnections" }.Select(k => $"{OptionsBinder.HealthSection}:{k}"),
    ];

    /// <summary>The keys under <c>Holdfast:</c> in <paramref name="configuration"/> that Holdfast does not read.</summary>
    /// <param name="configuration">The configuration.</param>
    public static IReadOnlyList<ConfigurationProblem> UnknownKeys(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return [.. configuration.GetSection("Holdfast").AsEnumerable()
            .Where(pair => pair.Value is not null && !Keys.Contains(pair.Key, StringComparer.OrdinalIgnoreCase))
            .Select(pair => pair.Key)
            .Order(StringComparer.Ordinal)
            .Select(key => new ConfigurationProblem(key, "is not a setting Holdfast reads: it does nothing",
                Nearest(key) is { } suggestion ? $"did you mean {suggestion}?" : $"remove it; the settings are listed in the README (e.g. {Keys[1]})"))];
    }

    private static string? Nearest(string key)
    {
        var best = Keys.Select(k => (Key: k, Distance: Distance(k.ToUpperInvariant(), key.ToUpperInvariant()))).MinBy(c => c.Distance);
        return best.Distance <= Math.Max(2, key.Length / 5) ? best.Key : null;
    }

    /// <summary>Levenshtein distance.</summary>
    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
