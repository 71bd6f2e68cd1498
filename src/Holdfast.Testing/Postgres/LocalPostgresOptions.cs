namespace Holdfast.Testing;

/// <summary>How to create a <see cref="LocalPostgres"/> cluster.</summary>
public sealed class LocalPostgresOptions
{
    /// <summary>
    /// The directory in which the cluster's own directory is created. Default: the system temp directory.
    /// Clusters left behind by a process that died are removed from here at the next start.
    /// </summary>
    public string? BaseDirectory { get; set; }

    /// <summary>The TCP port on 127.0.0.1; 0 (the default) picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>The server's <c>max_connections</c>. Default 50.</summary>
    public int MaxConnections { get; set; } = 50;

    /// <summary>The server's <c>superuser_reserved_connections</c>. Default 3.</summary>
    public int SuperuserReservedConnections { get; set; } = 3;

    /// <summary>The database created for the test role. Default <c>holdfast</c>.</summary>
    public string Database { get; set; } = "holdfast";

    /// <summary>The test role (LOGIN, SCRAM password, owner of <see cref="Database"/>). Default <c>holdfast</c>.</summary>
    public string Username { get; set; } = "holdfast";

    /// <summary>The test role's password; default: random, with URL-special characters so encoding is exercised.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// Prepares the cluster to stream to standbys (<c>wal_level = replica</c>, WAL senders, 128 MB of WAL kept), so
    /// <see cref="LocalPostgres.CreateStandbyAsync"/> can clone it. Default false: minimal WAL is faster.
    /// </summary>
    public bool AllowStandbys { get; set; }

    /// <summary>
    /// TLS for the server: a generated CA and server certificate (<see cref="LocalPostgres.CertificateAuthorityFile"/>), TLS
    /// on, and by default required for TCP connections. Default null: no TLS, as a fresh <c>initdb</c> has.
    /// </summary>
    public LocalPostgresTls? Tls { get; set; }

    /// <summary>Further <c>postgresql.conf</c> settings, e.g. <c>["log_connections"] = "on"</c>.</summary>
    public IDictionary<string, string> Settings { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How long to wait for the server to accept connections. Default 60 s.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The directory of <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>. Default: <c>HOLDFAST_PG_BINDIR</c>,
    /// else <c>pg_config --bindir</c>, else the newest <c>/usr/lib/postgresql/*/bin</c>.
    /// </summary>
    public string? BinDirectory { get; set; }
}
