namespace Holdfast.Resilience;

/// <summary>
/// Carries a failure of the caller's operation (after the connection opened) through the pipeline. When the
/// connection survived it is the operation's own error: classified as a command failure and, when not retried,
/// rethrown to the caller unchanged. When the connection broke (an I/O error, a server shutdown, or no answer even to
/// the cancellation at the operation's deadline) it is a connection-level failure: transient, and counted against the
/// circuit. Never thrown.
/// </summary>
internal sealed class OperationException(Exception original, bool connectionBroken, bool deadlineExpired, bool serverReadOnly = false)
    : Exception(original.Message, original)
{
    public Exception Original { get; } = original;

    /// <summary>The connection did not survive the failure.</summary>
    public bool ConnectionBroken { get; } = connectionBroken;

    /// <summary>The operation ran into its deadline (the call's budget), not the caller's cancellation.</summary>
    public bool DeadlineExpired { get; } = deadlineExpired;

    /// <summary>
    /// The server the connection reached is read-only as a whole (a hot standby, or <c>default_transaction_read_only</c>):
    /// a write refused there (25006) is the path's failure, a failover. A read-only transaction of the operation's own is not.
    /// </summary>
    public bool ServerReadOnly { get; } = serverReadOnly;
}
