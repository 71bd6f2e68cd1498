using System.Globalization;
using Holdfast.Configuration;
using Microsoft.Extensions.Configuration;

namespace Holdfast.Capacity;

/// <summary>
/// Pool and capacity settings from configuration, each with its source: <c>Holdfast:Pool:MaxSize</c> (else the
/// connection string's <c>Maximum Pool Size</c>, else Npgsql's default 100), and the planned capacity
/// <c>Holdfast:Capacity:MaxConnections</c>, <c>Instances</c>, <c>Reserved</c>, <c>OtherClients</c>,
/// <c>SafetyMargin</c>, <c>RolloutOverlap</c>, <c>Overflow</c> (checked when MaxConnections and Instances are set).
/// </summary>
internal sealed class CapacitySettings
{
    /// <summary>The key of the pool size.</summary>
    public const string PoolSizeKey = PoolSettings.SizeKey;

    /// <summary>The capacity section.</summary>
    public const string CapacitySection = PoolSettings.CapacitySection;

    private CapacitySettings(SourcedValue<int> poolSize, CapacityInputs? planned, IReadOnlyDictionary<string, SourcedValue<double>> capacity)
    {
        PoolSize = poolSize;
        Planned = planned;
        Capacity = capacity;
    }

    /// <summary>The per-instance Max Pool Size.</summary>
    public SourcedValue<int> PoolSize { get; }

    /// <summary>The planned capacity, when <c>Holdfast:Capacity:MaxConnections</c> and <c>Instances</c> are configured.</summary>
    public CapacityInputs? Planned { get; }

    /// <summary>Every capacity value with its source, by name.</summary>
    public IReadOnlyDictionary<string, SourcedValue<double>> Capacity { get; }

    /// <summary>Reads the settings.</summary>
    /// <param name="configuration">The configuration.</param>
    /// <param name="endpoint">The endpoint, whose connection string may set the pool size; null when none is configured.</param>
    /// <exception cref="HoldfastConfigurationException">A value is not a number.</exception>
    public static CapacitySettings Resolve(IConfiguration configuration, DatabaseEndpoint? endpoint)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var poolSize = PoolSettings.Resolve(configuration, endpoint);

        var values = new Dictionary<string, SourcedValue<double>>(StringComparer.Ordinal);
        SourcedValue<double> Read(string name, double fallback) =>
            values[name] = Number(configuration, $"{CapacitySection}:{name}") is { } value
                ? new SourcedValue<double>(value, $"{CapacitySection}:{name}")
                : new SourcedValue<double>(fallback, "default");
        var max = Read("MaxConnections", 0);
        var instances = Read("Instances", 0);
        var reserved = Read("Reserved", CapacityInputs.DefaultReserved);
        var other = Read("OtherClients", 0);
        var margin = Read("SafetyMargin", CapacityInputs.DefaultSafetyMargin);
        var overlap = Read("RolloutOverlap", 0);
        var overflow = Read("Overflow", CapacityInputs.DefaultOverflow);
        var planned = max.Source == "default" || instances.Source == "default"
            ? null
            : new CapacityInputs(Whole(max.Value, max.Source), Whole(instances.Value, instances.Source), Whole(reserved.Value, reserved.Source),
                Whole(other.Value, other.Source), margin.Value, Whole(overlap.Value, overlap.Source), Whole(overflow.Value, overflow.Source));
        if (planned?.Problems() is { Count: > 0 } problems)
        {
            throw new HoldfastConfigurationException(CapacitySection, string.Join("; ", problems), "correct the values in the Holdfast:Capacity section");
        }

        return new CapacitySettings(poolSize, planned, values);
    }

    /// <summary>The problem when the pool does not fit the planned capacity; null when it fits or no capacity is planned.</summary>
    public ConfigurationProblem? Check()
    {
        if (Planned is not { } planned)
        {
            return null;
        }

        var (fits, plan) = PoolPlanner.Check(planned, PoolSize.Value);
        if (fits)
        {
            return null;
        }

        var needed = (long)plan.InstancesAtOnce * ((long)PoolSize.Value + planned.Overflow);
        return new ConfigurationProblem(PoolSize.Source,
            $"is {PoolSize.Value}: {plan.InstancesAtOnce} instances x ({PoolSize.Value} + {planned.Overflow} overflow) = {needed} connections, over the budget of {plan.Budget} " +
            $"((max_connections {planned.MaxConnections} - {planned.Reserved} reserved - {planned.OtherClients} other clients) x {planned.SafetyMargin.ToString("0.##", CultureInfo.InvariantCulture)})",
            plan.Fits ? $"set {PoolSizeKey} to at most {plan.PoolSize} (see 'holdfast plan')" : plan.Verdict);
    }

    private static double? Number(IConfiguration configuration, string key)
    {
        var text = configuration[key]?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw new HoldfastConfigurationException(key, $"'{text}' is not a number", "write a plain number, e.g. 20");
    }

    private static int Whole(double value, string key) =>
        value == Math.Floor(value) && value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw new HoldfastConfigurationException(key, $"'{value.ToString(CultureInfo.InvariantCulture)}' is not a whole number", "write a whole number");
}
