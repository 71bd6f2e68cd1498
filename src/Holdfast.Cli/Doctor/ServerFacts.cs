using Npgsql;

namespace Holdfast.Cli.Doctor;

/// <summary>Facts read from the server once connected.</summary>
internal sealed record ServerFacts(
    string Version,
    string ServerVersion,
    int MaxConnections,
    int ReservedConnections,
    int ConnectionsInUse,
    string User,
    string Database,
    bool InRecovery,
    bool Ssl)
{
    /// <summary>Connections the test role's kind of client can still open: max minus reserved minus in use.</summary>
    public int Available => MaxConnections - ReservedConnections - ConnectionsInUse;

    private const string Query =
        "SELECT version(), current_setting('server_version'), current_setting('max_connections')::int, " +
        "current_setting('superuser_reserved_connections')::int, " +
        "(SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend'), " +
        "current_user::text, current_database()::text, pg_is_in_recovery(), " +
        "coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)";

    public static async Task<ServerFacts> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(Query, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ServerFacts(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4),
            reader.GetString(5), reader.GetString(6), reader.GetBoolean(7), reader.GetBoolean(8));
    }

    public string Describe() =>
        $"PostgreSQL {ServerVersion}{(InRecovery ? " (standby)" : "")}; max_connections {MaxConnections} ({ReservedConnections} reserved), " +
        $"{ConnectionsInUse} in use, {Available} free; connected as {User} to {Database}; TLS {(Ssl ? "on" : "off")}";
}
