namespace Holdfast.Resilience;

/// <summary>What an attempt's outcome says about the database path, for the circuit.</summary>
internal enum CircuitVerdict
{
    /// <summary>The database answered: a success, a permanent rejection, or the operation's own error on a live connection (a query it cancelled at the deadline included).</summary>
    Answered,

    /// <summary>A connection-level failure: refused, reset, timed out, shutting down. Counts towards opening.</summary>
    Failed,

    /// <summary>Says nothing about the path: cancelled by the caller or by the circuit, pool exhaustion, a failure nothing recognises.</summary>
    Neutral,
}
