namespace Holdfast.Timeouts;

/// <summary>How one effective timeout was reached: base, explicit pressure, measured latency, ceiling, final.</summary>
public sealed record TimeoutExplanation
{
    internal TimeoutExplanation(TimeoutKind kind, TimeSpan @base, double explicitFactor, TimeSpan? measuredP95, double measuredFactor, TimeSpan ceiling, TimeSpan final, string reason)
    {
        Kind = kind;
        Base = @base;
        ExplicitFactor = explicitFactor;
        MeasuredP95 = measuredP95;
        MeasuredFactor = measuredFactor;
        Ceiling = ceiling;
        Final = final;
        Reason = reason;
    }

    /// <summary>Which timeout.</summary>
    public TimeoutKind Kind { get; init; }

    /// <summary>The configured value (profile or override).</summary>
    public TimeSpan Base { get; init; }

    /// <summary>The stretch from explicit pressure indicators (1 when none).</summary>
    public double ExplicitFactor { get; init; }

    /// <summary>The recent connect p95 that was considered, when measured pressure applies to this timeout.</summary>
    public TimeSpan? MeasuredP95 { get; init; }

    /// <summary>The stretch from measured latency (1 when none).</summary>
    public double MeasuredFactor { get; init; }

    /// <summary>The most this timeout may be stretched to.</summary>
    public TimeSpan Ceiling { get; init; }

    /// <summary>The effective value: max(base, pressure-aware), within the ceiling.</summary>
    public TimeSpan Final { get; init; }

    /// <summary>One line saying why.</summary>
    public string Reason { get; init; }
}
