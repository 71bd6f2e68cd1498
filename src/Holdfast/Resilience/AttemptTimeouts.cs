using Holdfast.Telemetry;

namespace Holdfast.Resilience;

/// <summary>
/// The per-attempt connect timeout: progressive (each retry doubles it) and adaptive (from measured connect
/// latency once there is history). Long enough never to cut a healthy slow connect — <see cref="AttemptTimeoutOptions.LatencyMultiplier"/>
/// times the recent p99 — and short enough not to wait the whole connection timeout on a dead path once history
/// exists. Always within [<see cref="AttemptTimeoutOptions.Minimum"/>, the connection timeout].
/// </summary>
internal static class AttemptTimeouts
{
    /// <summary>The timeout of attempt <paramref name="attempt"/> (0 for the first).</summary>
    /// <param name="attempt">Which attempt, from 0.</param>
    /// <param name="connectionTimeout">The ceiling: the effective connection timeout.</param>
    /// <param name="measured">Recent connect latency.</param>
    /// <param name="options">The options.</param>
    public static TimeSpan For(int attempt, TimeSpan connectionTimeout, LatencySnapshot measured, AttemptTimeoutOptions options)
    {
        ArgumentNullException.ThrowIfNull(measured);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        var first = measured.Count >= options.MinimumSamples
            ? Clamp(measured.Summary.P99 * options.LatencyMultiplier, options.Minimum, connectionTimeout)
            : Clamp(options.FirstAttempt, TimeSpan.Zero, connectionTimeout);
        var scaled = first.Ticks * Math.Pow(2, Math.Min(attempt, 30));
        return scaled >= connectionTimeout.Ticks ? connectionTimeout : TimeSpan.FromTicks((long)scaled);
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan minimum, TimeSpan maximum) =>
        value < minimum ? (minimum < maximum ? minimum : maximum) : value > maximum ? maximum : value;
}
