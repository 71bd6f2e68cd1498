using Holdfast.Configuration;
using Npgsql;

namespace Holdfast.Faults;

/// <summary>The one-paragraph diagnosis of each kind: what happened, whether retrying helps, and the fix.</summary>
internal static class FailureDiagnosis
{
    public static string Describe(FailureKind kind, DatabaseEndpoint? endpoint, PostgresException? postgres, string message, string? hosts = null)
    {
        var where = endpoint is null ? "the server" : Target(endpoint);
        var source = endpoint?.SourceName ?? "the connection settings";
        return kind switch
        {
            FailureKind.AuthenticationFailed =>
                $"The server at {where} rejected user '{endpoint?.Username ?? "?"}' for database '{endpoint?.Database ?? "?"}' ({postgres?.SqlState ?? "28P01"} {(postgres?.SqlState == "28000" ? "invalid_authorization_specification" : "invalid_password")}). " +
                $"Retrying will not help. Fix: check the user and password in {source} (percent-encode special characters in a URL; " +
                "a secret stored with a trailing newline is a different password), and that pg_hba.conf allows this user from this address.",
            FailureKind.DatabaseMissing =>
                $"The database '{endpoint?.Database ?? "?"}' does not exist on {where} (3D000). Retrying will not help. " +
                $"Fix: create it (CREATE DATABASE \"{endpoint?.Database ?? "name"}\") or correct the database name in {source}.",
            FailureKind.Configuration when postgres?.SqlState is "42P05" or "26000" => PreparedStatements(postgres.SqlState),
            FailureKind.Configuration =>
                $"The configuration is invalid: {message.TrimEnd('.')}. Nothing was sent to the server.",
            FailureKind.Failover when postgres?.SqlState == "25006" =>
                $"{Capitalize(where)} refused a write: it is read-only (25006), a standby or a primary demoted by a failover or switchover. " +
                "Transient: Holdfast drops the pooled connections to it and retries on a new one within the budget. " +
                "Fix if it lasts: point the endpoint at the primary (with several hosts, add target_session_attrs=primary; " +
                "with one name, check that its DNS follows the failover).",
            FailureKind.Failover =>
                $"No host of {where} is usable as '{endpoint?.TargetSessionAttributes ?? "any"}' right now: {hosts}. A failover or switchover is " +
                "under way (the primary is down and no standby has been promoted yet), or the endpoint lists no host in that role. " +
                "Transient: retried within the budget, and Holdfast makes Npgsql look at every host again at once instead of " +
                "trusting what it remembered. Fix if it lasts: 'holdfast doctor' shows what each host is; check that the endpoint " +
                "lists the current primary and that target_session_attrs asks for the role you need.",
            FailureKind.Tls => TlsFailures.Describe(Tls.TlsProblem.Handshake, endpoint, null, message),
            FailureKind.SocketMissing => SocketMissing(endpoint),
            FailureKind.NotPostgres =>
                $"Something answers at {where}, but not in PostgreSQL's protocol: this is not a PostgreSQL server (an HTTP server, " +
                "a load balancer's health port, another database). Retrying will not help. Fix: check the port (PostgreSQL listens on 5432 " +
                $"by default, PgBouncer on 6432) and that the host in {source} is the database's.",
            FailureKind.Timeout =>
                $"No answer from {where} within the deadline. This is transient and retried within the budget. " +
                "Fix: if connects succeed but are slow (Cloud SQL behind a VPC connector, cold starts), raise Holdfast:Timeouts:Connection " +
                "and Initialization; if nothing ever answers, check firewall rules, the VPC connector or authorized networks, " +
                "and that the port is the database's. 'holdfast doctor' shows which stage stalls.",
            FailureKind.Refused =>
                $"Nothing accepts connections at {where}. Transient if the server is restarting. " +
                "Fix: check that PostgreSQL is running and listening on that address and port (listen_addresses, port), " +
                "and that host and port in " + source + " are right.",
            FailureKind.HostNotFound =>
                $"The host name of {where} does not resolve. Retried in case DNS is briefly unavailable. " +
                "Fix: check the spelling; a private DNS name (e.g. Cloud SQL private IP, a Kubernetes Service) resolves only inside its network.",
            FailureKind.Reset =>
                $"The connection to {where} was closed or reset mid-way. Transient: a restart, failover, or a proxy/NAT dropping idle connections. " +
                "Fix if it repeats: enable TCP keepalives, keep Connection Idle Lifetime below the network's idle timeout.",
            FailureKind.TooManyConnections =>
                $"{Capitalize(where)} has no free connection slots (53300). Transient, but retrying adds to the load. " +
                "Fix: size pools so instances x (pool + overflow) fits max_connections ('holdfast plan'), look for leaked or idle " +
                "sessions in pg_stat_activity grouped by application_name, or raise max_connections.",
            FailureKind.ServerStarting =>
                $"{Capitalize(where)} is starting up or in recovery (57P03). Transient: retried until it accepts connections.",
            FailureKind.ServerShuttingDown when postgres?.SqlState == "57P05" =>
                $"{Capitalize(where)} ended a session that sat idle past its idle_session_timeout (57P05). Transient: a new connection is tried. " +
                "Fix if callers see it: keep Connection Idle Lifetime below the server's idle_session_timeout, so the pool closes idle connections first.",
            FailureKind.ServerShuttingDown =>
                $"{Capitalize(where)} ended the connection: it is shutting down or restarting, or an administrator terminated this backend " +
                $"(pg_terminate_backend) ({postgres?.SqlState ?? "57P01"}). Transient: a new connection is tried.",
            FailureKind.PoolExhausted =>
                "Every connection in this process's pool is in use and none came back within the pool timeout. Not retried: retrying only adds load. " +
                "Fix: raise Max Pool Size (within 'holdfast plan' capacity) or find the leak: connections not disposed " +
                "(use 'await using'), or long transactions holding them.",
            FailureKind.QueryTimeout =>
                "A command ran past its timeout or was cancelled (57014). Not retried automatically. " +
                "Fix: find the slow statement (pg_stat_statements, EXPLAIN), or raise the command timeout for that operation.",
            _ => $"Unrecognised failure from {where}: {message}",
        };
    }

    private static string PreparedStatements(string sqlState) =>
        $"A prepared statement clashed ({sqlState} {(sqlState == "42P05" ? "duplicate_prepared_statement" : "invalid_sql_statement_name")}): " +
        "a pooler in transaction mode (PgBouncer, Cloud SQL managed connection pooling) gives each transaction whichever server " +
        "connection is free, so statements prepared on one are missing or already present on another. Retrying will not help. " +
        "Fix: let Holdfast adapt to the pooler (Holdfast:Pooler:Mode auto or transaction turns off automatic preparation and the " +
        "reset on close), remove Max Auto Prepare and explicit Prepare() calls, or use a pooler that tracks prepared statements " +
        "(PgBouncer 1.21+ with max_prepared_statements), or session pooling.";

    private static string SocketMissing(DatabaseEndpoint? endpoint)
    {
        if (endpoint?.SocketDirectory is not { } directory)
        {
            return "The Unix socket does not exist. Fix: check the socket directory and that the server is running.";
        }

        var host = endpoint.Hosts[0];
        var state = UnixSocketProbe.Check(host);
        var what = state == UnixSocketState.DirectoryMissing
            ? $"The socket directory {directory} does not exist"
            : $"The directory {directory} exists but has no socket file {host.SocketPath}";
        var fix = host.IsCloudSqlSocket
            ? $" Fix: attach the Cloud SQL instance {CloudSqlSocket.InstanceConnectionName(directory)} to the service " +
              "(Cloud Run: --add-cloudsql-instances; Kubernetes: the Cloud SQL Auth Proxy sidecar with --unix-socket /cloudsql), " +
              "grant the service account roles/cloudsql.client, and check the connection name is exactly PROJECT:REGION:INSTANCE."
            : state == UnixSocketState.DirectoryMissing
                ? " Fix: check the socket directory (unix_socket_directories on the server) and that it is mounted into this container."
                : " Fix: check that the server is running and that the port matches its socket file name (.s.PGSQL.PORT).";
        return what + ". Transient while the mount or proxy starts." + fix;
    }

    private static string Target(DatabaseEndpoint endpoint) => string.Join(", ", endpoint.Hosts);

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
