namespace Holdfast.Telemetry;

/// <summary>The state of a <see cref="ConnectLatencyWindow"/> at one moment: immutable, cheap to read.</summary>
public sealed record LatencySnapshot
{
    internal LatencySnapshot(LatencySummary summary, TimeSpan last, DateTimeOffset? lastAt)
    {
        Summary = summary;
        Last = last;
        LastAt = lastAt;
    }

    /// <summary>Percentiles of the samples in the window.</summary>
    public LatencySummary Summary { get; init; }

    /// <summary>The newest sample, or zero when empty.</summary>
    public TimeSpan Last { get; init; }

    /// <summary>When the newest sample was recorded, or null when empty.</summary>
    public DateTimeOffset? LastAt { get; init; }

    /// <summary>A window with no samples.</summary>
    public static LatencySnapshot Empty { get; } = new(LatencySummary.Empty, TimeSpan.Zero, null);

    /// <summary>How many samples the window holds.</summary>
    public int Count => Summary.Count;
}
