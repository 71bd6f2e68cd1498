using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Holdfast.Timeouts;

/// <summary>
/// Explicit signs of infrastructure pressure, set from configuration (<c>Holdfast:Pressure:NetworkPathScaling</c>,
/// <c>Holdfast:Pressure:DatabaseCapacity</c>) or code: the network path is scaling (e.g. a VPC connector adding
/// instances) stretches the connection timeout x1.5; database capacity pressure stretches initialization x1.2.
/// </summary>
public sealed record PressureIndicators
{
    /// <summary>Creates a <see cref="PressureIndicators"/>.</summary>
    /// <param name="networkPathScaling">The network path to the database is scaling or saturated.</param>
    /// <param name="databaseCapacity">The database is near its capacity (connections, CPU).</param>
    public PressureIndicators(bool networkPathScaling = false, bool databaseCapacity = false)
    {
        NetworkPathScaling = networkPathScaling;
        DatabaseCapacity = databaseCapacity;
    }

    /// <summary>The network path to the database is scaling or saturated.</summary>
    public bool NetworkPathScaling { get; init; }

    /// <summary>The database is near its capacity (connections, CPU).</summary>
    public bool DatabaseCapacity { get; init; }

    /// <summary>The configuration section.</summary>
    public const string SectionName = "Holdfast:Pressure";

    /// <summary>No pressure.</summary>
    public static PressureIndicators None { get; } = new();

    /// <summary>True when any indicator is set.</summary>
    public bool Any => NetworkPathScaling || DatabaseCapacity;

    /// <summary>Reads the indicators from configuration.</summary>
    /// <param name="configuration">Configuration with an optional <c>Holdfast:Pressure</c> section.</param>
    /// <exception cref="HoldfastConfigurationException">A value is not true or false.</exception>
    public static PressureIndicators From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new PressureIndicators(Flag(configuration, "NetworkPathScaling"), Flag(configuration, "DatabaseCapacity"));
    }

    private static bool Flag(IConfiguration configuration, string name)
    {
        var key = $"{SectionName}:{name}";
        var text = configuration[key]?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        return bool.TryParse(text, out var value) ? value
            : text == "1" ? true
            : text == "0" ? false
            : throw new HoldfastConfigurationException(key, $"'{text.ToString(CultureInfo.InvariantCulture)}' is not true or false", $"set {key} to true or false");
    }
}
