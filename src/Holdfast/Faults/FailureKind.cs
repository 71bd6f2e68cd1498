namespace Holdfast;

/// <summary>What went wrong with a database connection or command.</summary>
public enum FailureKind
{
    /// <summary>Not recognised; transient only when Npgsql says so.</summary>
    Unknown,

    /// <summary>No answer within the deadline (connect, TLS, authentication or the outer attempt deadline).</summary>
    Timeout,

    /// <summary>Nothing accepts connections at the address (TCP RST, or a socket file with no server).</summary>
    Refused,

    /// <summary>The host name does not resolve.</summary>
    HostNotFound,

    /// <summary>The Unix socket directory or file does not exist (e.g. <c>/cloudsql/...</c> not mounted).</summary>
    SocketMissing,

    /// <summary>The connection was reset or closed mid-way by the network or the server.</summary>
    Reset,

    /// <summary>The server rejected the credentials (SQLSTATE 28P01, 28000). Permanent.</summary>
    AuthenticationFailed,

    /// <summary>The database does not exist (SQLSTATE 3D000). Permanent.</summary>
    DatabaseMissing,

    /// <summary>The server has no free connection slots (SQLSTATE 53300).</summary>
    TooManyConnections,

    /// <summary>The server is starting up or recovering (SQLSTATE 57P03).</summary>
    ServerStarting,

    /// <summary>The server is shutting down, restarting, or ended this backend (SQLSTATE 57P01, 57P02, 57P03).</summary>
    ServerShuttingDown,

    /// <summary>Every connection of this process's pool is in use and none came back in time. Not retried.</summary>
    PoolExhausted,

    /// <summary>TLS negotiation failed or is impossible with the SSL mode asked for. Permanent.</summary>
    Tls,

    /// <summary>A command ran past its timeout or was cancelled (SQLSTATE 57014). Not retried.</summary>
    QueryTimeout,

    /// <summary>The configuration is missing or malformed. Permanent.</summary>
    Configuration,

    /// <summary>
    /// No host of the endpoint is in the role asked for (<c>target_session_attrs</c>: "no suitable host"), or the server
    /// refused a write because it is read-only (SQLSTATE 25006): a failover or switchover is under way. Transient.
    /// </summary>
    Failover,

    /// <summary>
    /// Something answered at the address, but not in PostgreSQL's protocol (an HTTP server, a health-check port, another
    /// database). Permanent.
    /// </summary>
    NotPostgres,
}
