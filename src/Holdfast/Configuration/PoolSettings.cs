using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Holdfast.Configuration;

/// <summary>
/// The keys of pool sizing, and the per-instance pool size with its source: <c>Holdfast:Pool:MaxSize</c>, else the connection string's
/// <c>Maximum Pool Size</c>, else Npgsql's default 100.
/// </summary>
internal static class PoolSettings
{
    /// <summary>The key of the pool size.</summary>
    public const string SizeKey = "Holdfast:Pool:MaxSize";

    /// <summary>The largest pool Holdfast accepts: far beyond what any server's max_connections sensibly serves one process.</summary>
    public const int MaxSize = 10_000;

    /// <summary>The section of the planned capacity that the pool size is checked against.</summary>
    public const string CapacitySection = "Holdfast:Capacity";

    /// <summary>The keys of the planned capacity, under <see cref="CapacitySection"/>.</summary>
    public static IReadOnlyList<string> CapacityKeys { get; } = ["MaxConnections", "Instances", "MaxInstances", "Reserved", "OtherClients", "SafetyMargin", "RolloutOverlap", "MaxSurge", "Overflow"];

    /// <summary>Npgsql's default Max Pool Size.</summary>
    public const int NpgsqlDefaultSize = 100;

    /// <summary>Reads the pool size.</summary>
    /// <param name="configuration">The configuration.</param>
    /// <param name="endpoint">The endpoint, whose connection string may set the pool size; null when none is configured.</param>
    /// <exception cref="HoldfastConfigurationException">The value is not a whole number from 1 to <see cref="MaxSize"/>.</exception>
    public static SourcedValue<int> Resolve(IConfiguration configuration, DatabaseEndpoint? endpoint)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var poolSize = configuration[SizeKey]?.Trim() is { Length: > 0 } text
            ? new SourcedValue<int>(Whole(text), SizeKey)
            : endpoint?.NpgsqlSettings.FirstOrDefault(s => s.Key.Equals("Maximum Pool Size", StringComparison.OrdinalIgnoreCase)) is { Key: not null } keyword
                ? new SourcedValue<int>(int.Parse(keyword.Value, CultureInfo.InvariantCulture), $"{endpoint.SourceName} Maximum Pool Size")
                : new SourcedValue<int>(NpgsqlDefaultSize, "Npgsql default");
        if (poolSize.Value is < 1 or > MaxSize)
        {
            throw new HoldfastConfigurationException(poolSize.Source,
                poolSize.Value < 1 ? $"is {poolSize.Value}; a pool needs at least one connection" : $"is {poolSize.Value}; no server takes that many connections from one pool",
                $"set it from 1 to {MaxSize} ('holdfast plan' sizes it)");
        }

        return poolSize;
    }

    private static int Whole(string text)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw new HoldfastConfigurationException(SizeKey, $"'{text}' is not a number", "write a plain number, e.g. 20");
        }

        return value == Math.Floor(value) && value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw new HoldfastConfigurationException(SizeKey, $"'{value.ToString(CultureInfo.InvariantCulture)}' is not a whole number", "write a whole number");
    }
}
