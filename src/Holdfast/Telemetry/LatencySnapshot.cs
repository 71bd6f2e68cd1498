namespace Holdfast.Telemetry;

/// <summary>The state of a <see cref="ConnectLatencyWindow"/> at one moment: immutable, cheap to read.</summary>
/// <param name="Summary">Percentiles of the samples in the window.</param>
/// <param name="Last">The newest sample, or zero when empty.</param>
/// <param name="LastAt">When the newest sample was recorded, or null when empty.</param>
public sealed record LatencySnapshot(LatencySummary Summary, TimeSpan Last, DateTimeOffset? LastAt)
{
    /// <summary>A window with no samples.</summary>
    public static LatencySnapshot Empty { get; } = new(LatencySummary.Empty, TimeSpan.Zero, null);

    /// <summary>How many samples the window holds.</summary>
    public int Count => Summary.Count;
}
