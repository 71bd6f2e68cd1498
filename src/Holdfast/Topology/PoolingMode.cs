namespace Holdfast.Topology;

/// <summary>When a detected pooler gives a server connection back to its pool.</summary>
public enum PoolingMode
{
    /// <summary>Not known: the probe could not tell.</summary>
    Unknown,

    /// <summary>When the client disconnects: session state works as without a pooler.</summary>
    Session,

    /// <summary>After each transaction: session state (SET, prepared statements, session advisory locks) does not survive.</summary>
    Transaction,

    /// <summary>After each statement: multi-statement transactions are refused.</summary>
    Statement,
}
