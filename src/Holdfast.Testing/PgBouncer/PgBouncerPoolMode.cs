namespace Holdfast.Testing;

/// <summary>When PgBouncer gives a server connection back to its pool (<c>pool_mode</c>).</summary>
public enum PgBouncerPoolMode
{
    /// <summary>When the client disconnects: session state (SET, prepared statements, advisory locks) works as without a pooler.</summary>
    Session,

    /// <summary>After each transaction: what most deployments use, and what breaks session state and prepared statements.</summary>
    Transaction,

    /// <summary>After each statement: multi-statement transactions are refused.</summary>
    Statement,
}
