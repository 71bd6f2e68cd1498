namespace Holdfast.Capacity;

/// <summary>What a connection pooler in front of PostgreSQL allows (PgBouncer's names).</summary>
/// <param name="DefaultPoolSize">Server connections the pooler opens per database and user (<c>default_pool_size</c>, PgBouncer's default 20).</param>
/// <param name="MaxClientConnections">Client connections one pooler accepts (<c>max_client_conn</c>, PgBouncer's default 100).</param>
/// <param name="MaxDatabaseConnections">Server connections per database, all users together (<c>max_db_connections</c>); 0 is no limit.</param>
/// <param name="Poolers">Pooler instances side by side (one per node, or replicas behind a load balancer).</param>
/// <param name="DatabaseUsers">Database and user pairs the poolers serve, each with its own pool.</param>
internal sealed record PoolerCapacity(
    int DefaultPoolSize = PoolerCapacity.PgBouncerDefaultPoolSize,
    int MaxClientConnections = PoolerCapacity.PgBouncerMaxClientConnections,
    int MaxDatabaseConnections = 0,
    int Poolers = 1,
    int DatabaseUsers = 1)
{
    /// <summary>PgBouncer's default <c>default_pool_size</c>.</summary>
    public const int PgBouncerDefaultPoolSize = 20;

    /// <summary>PgBouncer's default <c>max_client_conn</c>.</summary>
    public const int PgBouncerMaxClientConnections = 100;

    /// <summary>Server connections one pooler may open: its pools, capped by <c>max_db_connections</c>.</summary>
    public long ServerConnectionsPerPooler
    {
        get
        {
            var pools = PoolPlanner.Saturating((long)DefaultPoolSize * DatabaseUsers);
            return MaxDatabaseConnections > 0 ? Math.Min(pools, MaxDatabaseConnections) : pools;
        }
    }

    /// <summary>Every input that is out of range, as lines.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (DefaultPoolSize < 1 || MaxClientConnections < 1 || Poolers < 1 || DatabaseUsers < 1)
        {
            problems.Add("the pooler's pool size, max client connections, poolers and database/user pairs must be at least 1");
        }

        if (MaxDatabaseConnections < 0)
        {
            problems.Add("the pooler's max_db_connections cannot be negative (0 is no limit)");
        }

        return problems;
    }
}
