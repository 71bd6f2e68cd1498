using Holdfast.Telemetry;

namespace Holdfast.Timeouts;

/// <summary>
/// Stretches timeouts under pressure. Explicit indicators: network path scaling x1.5 on the connection timeout,
/// database capacity pressure x1.2 on initialization. Measured: when the recent connect p95 is above half the
/// connection timeout, connection and initialization stretch so the p95 sits at half again. Factors multiply; the
/// result never exceeds base x <see cref="DefaultCeilingFactor"/> (nor Npgsql's 1024 s for the connection), and
/// the effective value is max(base, pressure-aware): pressure only ever lengthens a timeout.
/// </summary>
internal static class PressureAwareTimeouts
{
    /// <summary>The connection timeout's stretch when the network path is scaling.</summary>
    public const double NetworkPathScalingFactor = 1.5;

    /// <summary>The initialization budget's stretch under database capacity pressure.</summary>
    public const double DatabaseCapacityFactor = 1.2;

    /// <summary>The largest stretch of any timeout, by default.</summary>
    public const double DefaultCeilingFactor = 2.0;

    /// <summary>Fewer recent samples than this are not taken as measured pressure.</summary>
    public const int MinimumSamples = 5;

    /// <summary>The effective profile under pressure.</summary>
    /// <param name="profile">The configured profile.</param>
    /// <param name="pressure">The explicit indicators.</param>
    /// <param name="measured">The recent connect latency, if any.</param>
    /// <param name="ceilingFactor">The largest stretch.</param>
    public static TimeoutProfile Apply(TimeoutProfile profile, PressureIndicators pressure, LatencySnapshot? measured = null, double ceilingFactor = DefaultCeilingFactor)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var factor = MeasuredFactor(profile, measured, ceilingFactor);
        if (!pressure.Any && factor == 1)
        {
            return profile;
        }

        return Explain(profile, pressure, measured, ceilingFactor)
            .Aggregate(profile, (current, explanation) => current.With(explanation.Kind, explanation.Final));
    }

    /// <summary>Every timeout with how its effective value was reached.</summary>
    /// <param name="profile">The configured profile.</param>
    /// <param name="pressure">The explicit indicators.</param>
    /// <param name="measured">The recent connect latency, if any.</param>
    /// <param name="ceilingFactor">The largest stretch.</param>
    public static IReadOnlyList<TimeoutExplanation> Explain(TimeoutProfile profile, PressureIndicators pressure, LatencySnapshot? measured = null, double ceilingFactor = DefaultCeilingFactor)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(pressure);
        ArgumentOutOfRangeException.ThrowIfLessThan(ceilingFactor, 1.0);
        var measuredFactor = MeasuredFactor(profile, measured, ceilingFactor);
        return [.. Enum.GetValues<TimeoutKind>().Select(kind => ExplainOne(kind, profile[kind], pressure, measured, measuredFactor, ceilingFactor))];
    }

    private static TimeoutExplanation ExplainOne(TimeoutKind kind, TimeSpan value, PressureIndicators pressure, LatencySnapshot? measured, double measuredFactor, double ceilingFactor)
    {
        var explicitFactor = kind switch
        {
            TimeoutKind.Connection when pressure.NetworkPathScaling => NetworkPathScalingFactor,
            TimeoutKind.Initialization when pressure.DatabaseCapacity => DatabaseCapacityFactor,
            _ => 1.0,
        };
        var measuredApplies = kind is TimeoutKind.Connection or TimeoutKind.Initialization;
        var appliedMeasured = measuredApplies ? measuredFactor : 1.0;
        var ceiling = value * ceilingFactor;
        if (kind == TimeoutKind.Connection)
        {
            ceiling = TimeSpan.FromTicks(Math.Min(ceiling.Ticks, TimeSpan.FromSeconds(DatabaseEndpoint.MaxNpgsqlTimeoutSeconds).Ticks));
        }

        var stretched = value * explicitFactor * appliedMeasured;
        var final = Max(value, Min(stretched, Max(ceiling, value)));
        var reasons = new List<string>();
        if (explicitFactor > 1)
        {
            reasons.Add(kind == TimeoutKind.Connection ? $"network path scaling x{explicitFactor}" : $"database capacity pressure x{explicitFactor}");
        }

        if (appliedMeasured > 1)
        {
            reasons.Add($"measured connect p95 {DurationText.Format(measured!.Summary.P95)} above half the connection timeout x{appliedMeasured:0.##}");
        }

        if (stretched > final)
        {
            reasons.Add($"capped at {DurationText.Format(final)}");
        }

        return new TimeoutExplanation(kind, value, explicitFactor, measuredApplies && measured is { Count: > 0 } ? measured.Summary.P95 : null,
            appliedMeasured, ceiling, final, reasons.Count == 0 ? "no pressure" : string.Join("; ", reasons));
    }

    private static double MeasuredFactor(TimeoutProfile profile, LatencySnapshot? measured, double ceilingFactor)
    {
        if (measured is not { Count: >= MinimumSamples } || profile.Connection <= TimeSpan.Zero)
        {
            return 1.0;
        }

        var half = profile.Connection / 2;
        return measured.Summary.P95 > half ? Math.Min(ceilingFactor, measured.Summary.P95 / half) : 1.0;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
