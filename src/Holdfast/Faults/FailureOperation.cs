namespace Holdfast;

/// <summary>What was being done when a failure happened; it tells a connect timeout from a query timeout.</summary>
public enum FailureOperation
{
    /// <summary>Opening a connection (pool rental, TCP, TLS, authentication).</summary>
    Connect,

    /// <summary>Running a command on an open connection.</summary>
    Command,
}
