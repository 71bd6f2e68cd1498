using System.Globalization;
using Holdfast.Configuration;
using Microsoft.Extensions.Configuration;

namespace Holdfast.Capacity;

/// <summary>
/// Pool and capacity settings from configuration, each with its source: <c>Holdfast:Pool:MaxSize</c> (else the
/// connection string's <c>Maximum Pool Size</c>, else Npgsql's default 100), and the planned capacity
/// <c>Holdfast:Capacity:MaxConnections</c>, <c>Instances</c>, <c>Reserved</c>, <c>OtherClients</c>,
/// <c>SafetyMargin</c>, <c>RolloutOverlap</c>, <c>Overflow</c> (checked when MaxConnections and Instances are set). A
/// fleet that autoscales gives <c>MaxInstances</c> (the plan is for it; <c>Instances</c> may then be left out) and a
/// rollout's <c>MaxSurge</c> as Kubernetes writes it (2, or 25%; 100% for Cloud Run) instead of <c>RolloutOverlap</c>.
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
        if (Number(configuration, $"{CapacitySection}:MaxInstances") is { } maxInstances)
        {
            if (instances.Source != "default" && instances.Value != maxInstances)
            {
                throw new HoldfastConfigurationException($"{CapacitySection}:MaxInstances", $"is {maxInstances.ToString(CultureInfo.InvariantCulture)} but Instances is {instances.Value.ToString(CultureInfo.InvariantCulture)}",
                    "the plan is for the autoscaling maximum: set MaxInstances alone");
            }

            values.Remove("Instances");
            instances = values["MaxInstances"] = new SourcedValue<double>(maxInstances, $"{CapacitySection}:MaxInstances");
        }

        var reserved = Read("Reserved", CapacityInputs.DefaultReserved);
        var other = Read("OtherClients", 0);
        var margin = Read("SafetyMargin", CapacityInputs.DefaultSafetyMargin);
        var overlap = Read("RolloutOverlap", 0);
        if (configuration[$"{CapacitySection}:MaxSurge"]?.Trim() is { Length: > 0 } surge)
        {
            if (overlap.Source != "default")
            {
                throw new HoldfastConfigurationException($"{CapacitySection}:MaxSurge", "and RolloutOverlap both say how many extra instances a rollout runs",
                    "set one of them");
            }

            try
            {
                values.Remove("RolloutOverlap");
                overlap = values["MaxSurge"] = new SourcedValue<double>(RolloutSurge.Count(surge, Whole(instances.Value, instances.Source)), $"{CapacitySection}:MaxSurge");
            }
            catch (FormatException ex)
            {
                throw new HoldfastConfigurationException($"{CapacitySection}:MaxSurge", ex.Message, "write a count or a percentage of the instances");
            }
        }

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
            $"is {PoolSize.Value}: at the fleet's maximum, {plan.InstancesAtOnce} instances at once (rollout included) x ({PoolSize.Value} + {planned.Overflow} overflow) = {needed} connections, over the budget of {plan.Budget} " +
            $"((max_connections {planned.MaxConnections} - {planned.Reserved} reserved - {planned.OtherClients} other clients) x {planned.SafetyMargin.ToString("0.##", CultureInfo.InvariantCulture)})",
            plan.Fits ? $"set {PoolSizeKey} to at most {plan.PoolSize} (see 'holdfast plan')" : plan.Verdict);
    }

    /// <summary>
    /// What the configured pool leaves of the budget at the fleet's maximum during a rollout (negative: over it); null when
    /// no capacity is planned.
    /// </summary>
    public long? Headroom()
    {
        if (Planned is not { } planned)
        {
            return null;
        }

        var plan = PoolPlanner.Plan(planned);
        return plan.Budget - ((long)plan.InstancesAtOnce * ((long)PoolSize.Value + planned.Overflow));
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
