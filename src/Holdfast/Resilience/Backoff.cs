namespace Holdfast.Resilience;

/// <summary>
/// Exponential backoff with "equal jitter": the delay before retry n is half of base x 2^n (capped at the maximum)
/// plus a random share of the other half, so it always lies in [d/2, d] — spread out to avoid retry storms, yet
/// never near zero.
/// </summary>
internal static class Backoff
{
    /// <summary>The delay before retry <paramref name="attempt"/> (0 for the first retry).</summary>
    /// <param name="attempt">Which retry, from 0.</param>
    /// <param name="baseDelay">The first delay before jitter.</param>
    /// <param name="maxDelay">The largest delay before jitter.</param>
    /// <param name="jitter">A random number in [0, 1).</param>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, double jitter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        ArgumentOutOfRangeException.ThrowIfLessThan(jitter, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(jitter, 1);
        var ceiling = Ceiling(attempt, baseDelay, maxDelay);
        return TimeSpan.FromTicks((long)((ceiling.Ticks / 2.0) + (ceiling.Ticks / 2.0 * jitter)));
    }

    /// <summary>The un-jittered delay before retry <paramref name="attempt"/>: the upper bound of <see cref="Delay"/>.</summary>
    /// <param name="attempt">Which retry, from 0.</param>
    /// <param name="baseDelay">The first delay.</param>
    /// <param name="maxDelay">The largest delay.</param>
    public static TimeSpan Ceiling(int attempt, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        var scaled = baseDelay.Ticks * Math.Pow(2, Math.Min(attempt, 40));
        return scaled >= maxDelay.Ticks ? maxDelay : TimeSpan.FromTicks((long)scaled);
    }
}
