namespace Holdfast.Telemetry;

/// <summary>A change of level of an alert rule: raised when a value crosses a threshold, resolved when it comes back.</summary>
public sealed record HoldfastAlert
{
    internal HoldfastAlert(string rule, AlertLevel level, AlertLevel previous, TimeSpan value, TimeSpan threshold, DateTimeOffset at, string source)
    {
        Rule = rule;
        Level = level;
        Previous = previous;
        Value = value;
        Threshold = threshold;
        At = at;
        Source = source;
    }

    /// <summary>The rule on the server certificate's expiry: <see cref="Value"/> is the time left, <see cref="Threshold"/> the warning.</summary>
    public const string CertificateExpiryRule = "certificate-expiry";

    /// <summary>The rule's name.</summary>
    public string Rule { get; init; }

    /// <summary>The new level; <see cref="AlertLevel.Normal"/> means resolved.</summary>
    public AlertLevel Level { get; init; }

    /// <summary>The level before.</summary>
    public AlertLevel Previous { get; init; }

    /// <summary>The sample that crossed.</summary>
    public TimeSpan Value { get; init; }

    /// <summary>The threshold of the new level (of the previous one when resolved).</summary>
    public TimeSpan Threshold { get; init; }

    /// <summary>When.</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>The data source the sample came from.</summary>
    public string Source { get; init; }

    /// <summary>True when the level went up.</summary>
    public bool IsRaised => Level > Previous;

    /// <summary>A one-line description.</summary>
    public string Message => Rule == CertificateExpiryRule ? CertificateMessage : Level == AlertLevel.Normal
        ? $"{Rule} back to normal on {Source}: {Value.TotalSeconds:0.###} s (was {Previous}, threshold {Threshold.TotalSeconds:0.###} s)"
        : $"{Rule} {Level} on {Source}: {Value.TotalSeconds:0.###} s {(IsRaised ? "above" : "still above")} {Threshold.TotalSeconds:0.###} s";

    private string CertificateMessage => Level switch
    {
        AlertLevel.Normal => $"{Rule} back to normal on {Source}: the server certificate is valid for {Value.TotalDays:0.#} more days",
        AlertLevel.Critical => $"{Rule} Critical on {Source}: the server certificate expired {-Value.TotalDays:0.#} days ago; connections that verify it fail",
        _ => $"{Rule} Warning on {Source}: the server certificate expires in {Value.TotalDays:0.#} days (warning below {Threshold.TotalDays:0.#}); rotate it",
    };
}
