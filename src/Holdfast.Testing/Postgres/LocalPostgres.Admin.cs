using Npgsql;
using NpgsqlTypes;

namespace Holdfast.Testing;

public sealed partial class LocalPostgres
{
    private const string ClientBackends =
        "FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() " +
        "AND application_name <> $1 AND ($2::text IS NULL OR application_name = $2)";

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
    public Task ExecuteAsync(string sql, CancellationToken cancellationToken = default) =>
        SuperuserScalarAsync(sql, [], cancellationToken);

    /// <summary>Runs a query as superuser and returns the first column of the first row.</summary>
    /// <typeparam name="T">The column's type.</typeparam>
    /// <param name="sql">The query.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    public async Task<T> ScalarAsync<T>(string sql, CancellationToken cancellationToken = default) =>
        (T)(await SuperuserScalarAsync(sql, [], cancellationToken))!;

    /// <summary>
    /// Counts client connections on the server (from <c>pg_stat_activity</c>), leaving out <see cref="LocalPostgres"/>'s own.
    /// </summary>
    /// <param name="applicationName">Only connections with this application name; all when null.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    public async Task<int> CountConnectionsAsync(string? applicationName = null, CancellationToken cancellationToken = default) =>
        (int)(await SuperuserScalarAsync($"SELECT count(*)::int {ClientBackends}", ApplicationNameFilter(applicationName), cancellationToken))!;

    /// <summary>
    /// Terminates client backends (<c>pg_terminate_backend</c>) and waits until each has exited (up to 5 s each), so its
    /// farewell (57P01) is on the client's socket when this returns; returns how many were terminated.
    /// </summary>
    /// <param name="applicationName">Only backends with this application name; all client backends when null.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    public async Task<int> TerminateConnectionsAsync(string? applicationName = null, CancellationToken cancellationToken = default)
    {
        // pg_terminate_backend(pid, timeout) waits in 100 ms steps, one backend after another: all are signalled at once here,
        // then watched until gone.
        var pids = (int[])(await SuperuserScalarAsync(
            $"SELECT coalesce(array_agg(pid) FILTER (WHERE pg_terminate_backend(pid)), '{{}}') {ClientBackends}",
            ApplicationNameFilter(applicationName), cancellationToken))!;
        var deadline = TimeProvider.System.GetUtcNow() + TimeSpan.FromSeconds(5);
        while (pids.Length > 0 && TimeProvider.System.GetUtcNow() < deadline &&
               (long)(await SuperuserScalarAsync("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)",
                   [new NpgsqlParameter<int[]> { TypedValue = pids }], cancellationToken))! > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), TimeProvider.System, cancellationToken);
        }

        return pids.Length;
    }

    private static NpgsqlParameter[] ApplicationNameFilter(string? applicationName) =>
    [
        new NpgsqlParameter<string> { TypedValue = ControlApplicationName },
        new NpgsqlParameter<string?> { TypedValue = applicationName, NpgsqlDbType = NpgsqlDbType.Text },
    ];

    private async Task<object?> SuperuserScalarAsync(string sql, NpgsqlParameter[] parameters, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(SuperuserConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        return await command.ExecuteScalarAsync(cancellationToken);
    }
}
