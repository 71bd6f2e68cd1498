namespace Holdfast.Testing;

/// <summary>How to create a <see cref="LocalPgBouncer"/>.</summary>
public sealed class LocalPgBouncerOptions
{
    /// <summary>The pool mode. Default <see cref="PgBouncerPoolMode.Transaction"/>, as most deployments (and Cloud SQL's managed pooling) run.</summary>
    public PgBouncerPoolMode PoolMode { get; set; } = PgBouncerPoolMode.Transaction;

    /// <summary>Server connections per database and user (<c>default_pool_size</c>). Default 5.</summary>
    public int DefaultPoolSize { get; set; } = 5;

    /// <summary>Client connections PgBouncer accepts in all (<c>max_client_conn</c>). Default 200.</summary>
    public int MaxClientConnections { get; set; } = 200;

    /// <summary>Server connections per database, all users together (<c>max_db_connections</c>); 0 (the default) is no limit.</summary>
    public int MaxDatabaseConnections { get; set; }

    /// <summary>The TCP port on 127.0.0.1; 0 (the default) picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>
    /// Further <c>[pgbouncer]</c> settings, e.g. <c>["query_wait_timeout"] = "5"</c>. The kit sets <c>server_login_retry</c>
    /// to 1 s (PgBouncer's default is 15 s) so a restarted server is found quickly; set it here to test with the default.
    /// </summary>
    public IDictionary<string, string> Settings { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The <c>pgbouncer</c> program. Default: <c>HOLDFAST_PGBOUNCER</c>, else <c>pgbouncer</c> on the PATH, else <c>/usr/sbin/pgbouncer</c>.</summary>
    public string? Executable { get; set; }

    /// <summary>How long to wait for PgBouncer to accept connections. Default 30 s.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
