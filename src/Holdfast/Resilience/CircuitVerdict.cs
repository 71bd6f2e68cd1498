namespace Holdfast.Resilience;

/// <summary>What an attempt's outcome says about the database path, for the circuit.</summary>
internal enum CircuitVerdict
{
    /// <summary>The database answered: a success, a permanent rejection, or the operation's own error.</summary>
    Answered,

    /// <summary>A connection-level failure: refused, reset, timed out, shutting down. Counts towards opening.</summary>
    Failed,

    /// <summary>Says nothing about the path: cancelled by the caller or by the circuit, pool exhaustion, a query timeout.</summary>
    Neutral,
}
