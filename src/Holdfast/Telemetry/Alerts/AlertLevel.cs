namespace Holdfast.Telemetry;

/// <summary>How bad a watched value is.</summary>
public enum AlertLevel
{
    /// <summary>Below the warning threshold.</summary>
    Normal,

    /// <summary>Above the warning threshold.</summary>
    Warning,

    /// <summary>Above the critical threshold.</summary>
    Critical,
}
