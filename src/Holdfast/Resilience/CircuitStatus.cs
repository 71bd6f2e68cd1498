using Holdfast.Faults;

namespace Holdfast.Resilience;

/// <summary>The circuit breaker's state.</summary>
public enum BreakerState
{
    /// <summary>Calls go through.</summary>
    Closed,

    /// <summary>One probe call is let through to test the database.</summary>
    HalfOpen,

    /// <summary>Calls are refused at once with <see cref="DatabaseUnavailableException"/>.</summary>
    Open,

    /// <summary>Opened by hand; stays open until closed by hand.</summary>
    Isolated,
}

/// <summary>A guarded data source's state, for health checks and monitoring.</summary>
/// <param name="State">The breaker's state.</param>
/// <param name="ConsecutiveFailures">Connection-level failures in a row, counted towards opening the circuit (permanent failures and an operation's own errors never count).</param>
/// <param name="LastFailure">The most recent failure, redacted, with its diagnosis; null when none yet.</param>
/// <param name="LastFailureAt">When it happened.</param>
/// <param name="OpenedAt">When the breaker last opened; null while it has not.</param>
/// <param name="NextProbeIn">While open: how long until the database is next tried (a recovery probe or the half-open call).</param>
public sealed record CircuitStatus(
    BreakerState State,
    int ConsecutiveFailures,
    DatabaseFailure? LastFailure,
    DateTimeOffset? LastFailureAt,
    DateTimeOffset? OpenedAt,
    TimeSpan? NextProbeIn)
{
    /// <summary>True when calls are refused at once.</summary>
    public bool IsOpen => State is BreakerState.Open or BreakerState.Isolated;
}
