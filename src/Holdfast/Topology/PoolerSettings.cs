using Microsoft.Extensions.Configuration;

namespace Holdfast.Topology;

/// <summary>Reads <c>Holdfast:Pooler:Mode</c>.</summary>
internal static class PoolerSettings
{
    /// <summary>The configuration key.</summary>
    public const string ModeKey = "Holdfast:Pooler:Mode";

    /// <summary>The mode configured, <see cref="PoolerMode.Auto"/> when none is.</summary>
    /// <param name="configuration">The configuration.</param>
    /// <exception cref="HoldfastConfigurationException">The value is not a mode.</exception>
    public static PoolerMode ModeFrom(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var text = configuration[ModeKey]?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return PoolerMode.Auto;
        }

        return Enum.TryParse<PoolerMode>(text, ignoreCase: true, out var mode) && Enum.IsDefined(mode) && !char.IsDigit(text[0])
            ? mode
            : throw new HoldfastConfigurationException(ModeKey, $"'{text}' is not a pooler mode",
                "use Auto (detect a pooler and adapt), Transaction or Session (declare it), or None (no pooler, or one that keeps prepared statements)");
    }
}
