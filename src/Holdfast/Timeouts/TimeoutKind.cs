namespace Holdfast.Timeouts;

/// <summary>The timeouts of a profile.</summary>
public enum TimeoutKind
{
    /// <summary>The budget of the whole database start-up phase, across every attempt.</summary>
    Initialization,

    /// <summary>The longest a single connect attempt may take.</summary>
    Connection,

    /// <summary>The longest a caller waits for a pooled connection when the pool is busy.</summary>
    Pool,

    /// <summary>The budget of the schema/table set-up phase.</summary>
    TableSetup,

    /// <summary>The longest a health probe may take.</summary>
    HealthCheck,

    /// <summary>The budget of one <c>ExecuteAsync</c> unit of work: its connection, the operation and any retries.</summary>
    Operation,
}
