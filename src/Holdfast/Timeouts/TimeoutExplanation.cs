namespace Holdfast.Timeouts;

/// <summary>How one effective timeout was reached: base, explicit pressure, measured latency, ceiling, final.</summary>
/// <param name="Kind">Which timeout.</param>
/// <param name="Base">The configured value (profile or override).</param>
/// <param name="ExplicitFactor">The stretch from explicit pressure indicators (1 when none).</param>
/// <param name="MeasuredP95">The recent connect p95 that was considered, when measured pressure applies to this timeout.</param>
/// <param name="MeasuredFactor">The stretch from measured latency (1 when none).</param>
/// <param name="Ceiling">The most this timeout may be stretched to.</param>
/// <param name="Final">The effective value: max(base, pressure-aware), within the ceiling.</param>
/// <param name="Reason">One line saying why.</param>
public sealed record TimeoutExplanation(
    TimeoutKind Kind,
    TimeSpan Base,
    double ExplicitFactor,
    TimeSpan? MeasuredP95,
    double MeasuredFactor,
    TimeSpan Ceiling,
    TimeSpan Final,
    string Reason);
