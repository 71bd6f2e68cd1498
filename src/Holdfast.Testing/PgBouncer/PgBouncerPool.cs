namespace Holdfast.Testing;

/// <summary>One row of PgBouncer's <c>SHOW POOLS</c>: a pool of server connections for a database and user.</summary>
/// <param name="Database">The database.</param>
/// <param name="User">The user.</param>
/// <param name="ClientsActive">Client connections linked to a server connection or idle (<c>cl_active</c>).</param>
/// <param name="ClientsWaiting">Client connections waiting for a server connection (<c>cl_waiting</c>).</param>
/// <param name="ServersActive">Server connections linked to a client (<c>sv_active</c>).</param>
/// <param name="ServersIdle">Server connections idle and ready (<c>sv_idle</c>).</param>
/// <param name="ServersUsed">Server connections idle for longer than <c>server_check_delay</c> (<c>sv_used</c>).</param>
/// <param name="MaxWait">How long the oldest waiting client has waited, in seconds (<c>maxwait</c>).</param>
/// <param name="PoolMode">The pool mode in force.</param>
public sealed record PgBouncerPool(
    string Database,
    string User,
    int ClientsActive,
    int ClientsWaiting,
    int ServersActive,
    int ServersIdle,
    int ServersUsed,
    int MaxWait,
    string PoolMode)
{
    /// <summary>Server connections the pool holds now.</summary>
    public int ServerConnections => ServersActive + ServersIdle + ServersUsed;
}
