using Npgsql;

namespace Holdfast.Testing;

public sealed partial class LocalPostgres
{
    /// <summary>
    /// A superuser connection string (no pooling, application name <see cref="ControlApplicationName"/>), for
    /// test set-up and fault injection. It uses the reserved superuser slots, so it works when the test role cannot connect.
    /// </summary>
    /// <param name="database">The database; <c>postgres</c> by default.</param>
    public string SuperuserConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Database = database,
        Username = SuperuserName,
        Password = superuserPassword,
        ApplicationName = ControlApplicationName,
        Pooling = false,
        Timeout = 15,
    }.ConnectionString;

    /// <summary>Runs a statement as superuser.</summary>
    /// <param name="sql">The statement.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(SuperuserConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs a query as superuser and returns the first column of the first row.</summary>
    /// <typeparam name="T">The column's type.</typeparam>
    /// <param name="sql">The query.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    public async Task<T> ScalarAsync<T>(string sql, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(SuperuserConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Counts client connections on the server (from <c>pg_stat_activity</c>), leaving out <see cref="LocalPostgres"/>'s own.
    /// </summary>
    /// <param name="applicationName">Only connections with this application name; all when null.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    public async Task<int> CountConnectionsAsync(string? applicationName = null, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(SuperuserConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name <> $1 " +
            "AND ($2::text IS NULL OR application_name = $2)", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ControlApplicationName });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = applicationName, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Terminates client backends (<c>pg_terminate_backend</c>); returns how many were terminated.</summary>
    /// <param name="applicationName">Only backends with this application name; all the test role's when null.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    public async Task<int> TerminateConnectionsAsync(string? applicationName = null, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(SuperuserConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT count(*)::int FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity " +
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND application_name <> $1 " +
            "AND ($2::text IS NULL OR application_name = $2)) AS terminated", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ControlApplicationName });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = applicationName, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
