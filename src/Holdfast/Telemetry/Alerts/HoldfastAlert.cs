namespace Holdfast.Telemetry;

/// <summary>A change of level of an alert rule: raised when a value crosses a threshold, resolved when it comes back.</summary>
/// <param name="Rule">The rule's name.</param>
/// <param name="Level">The new level; <see cref="AlertLevel.Normal"/> means resolved.</param>
/// <param name="Previous">The level before.</param>
/// <param name="Value">The sample that crossed.</param>
/// <param name="Threshold">The threshold of the new level (of the previous one when resolved).</param>
/// <param name="At">When.</param>
/// <param name="Source">The data source the sample came from.</param>
public sealed record HoldfastAlert(string Rule, AlertLevel Level, AlertLevel Previous, TimeSpan Value, TimeSpan Threshold, DateTimeOffset At, string Source)
{
    /// <summary>True when the level went up.</summary>
    public bool IsRaised => Level > Previous;

    /// <summary>A one-line description.</summary>
    public string Message => Level == AlertLevel.Normal
        ? $"{Rule} back to normal on {Source}: {Value.TotalSeconds:0.###} s (was {Previous}, threshold {Threshold.TotalSeconds:0.###} s)"
        : $"{Rule} {Level} on {Source}: {Value.TotalSeconds:0.###} s {(IsRaised ? "above" : "still above")} {Threshold.TotalSeconds:0.###} s";
}
