namespace Holdfast;

/// <summary>The circuit breaker's state.</summary>
public enum CircuitState
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
public sealed record CircuitStatus
{
    internal CircuitStatus(CircuitState state, int consecutiveFailures, DatabaseFailure? lastFailure, DateTimeOffset? lastFailureAt, DateTimeOffset? openedAt, TimeSpan? nextProbeIn)
    {
        State = state;
        ConsecutiveFailures = consecutiveFailures;
        LastFailure = lastFailure;
        LastFailureAt = lastFailureAt;
        OpenedAt = openedAt;
        NextProbeIn = nextProbeIn;
    }

    /// <summary>The breaker's state.</summary>
    public CircuitState State { get; init; }

    /// <summary>Connection-level failures in a row, counted towards opening the circuit (permanent failures and an operation's own errors never count).</summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>The most recent failure, redacted, with its diagnosis; null when none yet.</summary>
    public DatabaseFailure? LastFailure { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset? LastFailureAt { get; init; }

    /// <summary>When the breaker last opened; null while it has not.</summary>
    public DateTimeOffset? OpenedAt { get; init; }

    /// <summary>While open: how long until the database is next tried (a recovery probe or the half-open call).</summary>
    public TimeSpan? NextProbeIn { get; init; }

    /// <summary>True when calls are refused at once.</summary>
    public bool IsOpen => State is CircuitState.Open or CircuitState.Isolated;
}
