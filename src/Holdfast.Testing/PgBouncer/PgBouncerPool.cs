namespace Holdfast.Testing;

/// <summary>One row of PgBouncer's <c>SHOW POOLS</c>: a pool of server connections for a database and user.</summary>
public sealed record PgBouncerPool
{
    internal PgBouncerPool(string database, string user, int clientsActive, int clientsWaiting, int serversActive, int serversIdle, int serversUsed, int maxWait, string poolMode)
    {
        Database = database;
        User = user;
        ClientsActive = clientsActive;
        ClientsWaiting = clientsWaiting;
        ServersActive = serversActive;
        ServersIdle = serversIdle;
        ServersUsed = serversUsed;
        MaxWait = maxWait;
        PoolMode = poolMode;
    }

    /// <summary>The database.</summary>
    public string Database { get; init; }

    /// <summary>The user.</summary>
    public string User { get; init; }

    /// <summary>Client connections linked to a server connection or idle (<c>cl_active</c>).</summary>
    public int ClientsActive { get; init; }

    /// <summary>Client connections waiting for a server connection (<c>cl_waiting</c>).</summary>
    public int ClientsWaiting { get; init; }

    /// <summary>Server connections linked to a client (<c>sv_active</c>).</summary>
    public int ServersActive { get; init; }

    /// <summary>Server connections idle and ready (<c>sv_idle</c>).</summary>
    public int ServersIdle { get; init; }

    /// <summary>Server connections idle for longer than <c>server_check_delay</c> (<c>sv_used</c>).</summary>
    public int ServersUsed { get; init; }

    /// <summary>How long the oldest waiting client has waited, in seconds (<c>maxwait</c>).</summary>
    public int MaxWait { get; init; }

    /// <summary>The pool mode in force.</summary>
    public string PoolMode { get; init; }

    /// <summary>Server connections the pool holds now.</summary>
    public int ServerConnections => ServersActive + ServersIdle + ServersUsed;
}
