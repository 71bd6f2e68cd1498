namespace Holdfast.Topology;

/// <summary>
/// What Holdfast assumes about a connection pooler between the service and PostgreSQL (<c>Holdfast:Pooler:Mode</c>).
/// </summary>
public enum PoolerMode
{
    /// <summary>
    /// Detect it once, after the first successful open (see <see cref="PoolerDetector"/>); when one is found in transaction or
    /// statement mode, or in a mode that cannot be told, turn off what breaks under it. The default.
    /// </summary>
    Auto,

    /// <summary>No pooler, or one that handles session state (PgBouncer 1.21+ with max_prepared_statements): never detect or adapt.</summary>
    None,

    /// <summary>A pooler in session mode: nothing to adapt.</summary>
    Session,

    /// <summary>A pooler in transaction (or statement) mode: adapt from the start, without detecting.</summary>
    Transaction,
}
