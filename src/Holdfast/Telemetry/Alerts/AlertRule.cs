namespace Holdfast.Telemetry;

/// <summary>
/// A rule on physical connect time: a warning above <see cref="Warning"/>, critical above <see cref="Critical"/>.
/// It fires once per crossing, not once per sample, and drops back a level only when a sample is 10 % below the
/// threshold it crossed, so a value hovering at a threshold does not flap.
/// </summary>
public sealed record AlertRule
{
    /// <summary>Creates a <see cref="AlertRule"/>.</summary>
    /// <param name="name">The rule's name, e.g. <c>connect-time</c>.</param>
    /// <param name="warning">The warning threshold.</param>
    /// <param name="critical">The critical threshold; not below <see cref="Warning"/>.</param>
    public AlertRule(string name, TimeSpan warning, TimeSpan critical)
    {
        Name = name;
        Warning = warning;
        Critical = critical;
    }

    /// <summary>The rule's name, e.g. <c>connect-time</c>.</summary>
    public string Name { get; init; }

    /// <summary>The warning threshold.</summary>
    public TimeSpan Warning { get; init; }

    /// <summary>The critical threshold; not below <see cref="Warning"/>.</summary>
    public TimeSpan Critical { get; init; }

    /// <summary>The name of the connect-time rule.</summary>
    public const string ConnectTimeName = "connect-time";

    /// <summary>How far below a threshold a sample must be to drop a level.</summary>
    public const double Hysteresis = 0.9;

    /// <summary>
    /// The connect-time rule of an environment: development and test 10 s / 15 s, staging 20 s / 25 s,
    /// production 30 s / 45 s (warning / critical).
    /// </summary>
    /// <param name="environment">The environment.</param>
    public static AlertRule ConnectTimeFor(HoldfastEnvironment environment) => environment switch
    {
        HoldfastEnvironment.Staging => new(ConnectTimeName, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(25)),
        HoldfastEnvironment.Production => new(ConnectTimeName, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(45)),
        _ => new(ConnectTimeName, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(15)),
    };

    /// <summary>The level a sample reaches from <paramref name="current"/>, with hysteresis on the way down.</summary>
    /// <param name="current">The level before the sample.</param>
    /// <param name="value">The sample.</param>
    internal AlertLevel Next(AlertLevel current, TimeSpan value)
    {
        if (value > Critical)
        {
            return AlertLevel.Critical;
        }

        if (value > Warning)
        {
            return current == AlertLevel.Critical && value >= Critical * Hysteresis ? AlertLevel.Critical : AlertLevel.Warning;
        }

        return current != AlertLevel.Normal && value >= Warning * Hysteresis ? AlertLevel.Warning : AlertLevel.Normal;
    }

    /// <summary>The threshold that defines <paramref name="level"/>.</summary>
    /// <param name="level">A level above normal.</param>
    internal TimeSpan ThresholdOf(AlertLevel level) => level == AlertLevel.Critical ? Critical : Warning;
}
