using Npgsql;

namespace Holdfast.Capacity;

/// <summary>Connections of one application name.</summary>
/// <param name="ApplicationName">The name (empty when the client set none).</param>
/// <param name="Connections">How many it holds.</param>
internal sealed record ApplicationConnections(string ApplicationName, int Connections);

/// <summary>What a live server says about its capacity.</summary>
/// <param name="MaxConnections"><c>max_connections</c>.</param>
/// <param name="Reserved"><c>superuser_reserved_connections</c>.</param>
/// <param name="Applications">Client connections by application name, largest first (this connection left out).</param>
internal sealed record ServerCapacity(int MaxConnections, int Reserved, IReadOnlyList<ApplicationConnections> Applications)
{
    /// <summary>Reads the server's capacity.</summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    public static async Task<ServerCapacity> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand(
            "SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int; " +
            "SELECT coalesce(application_name, ''), count(*)::int FROM pg_stat_activity " +
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1 ORDER BY 2 DESC, 1", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var max = reader.GetInt32(0);
        var reserved = reader.GetInt32(1);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var applications = new List<ApplicationConnections>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            applications.Add(new ApplicationConnections(reader.GetString(0), reader.GetInt32(1)));
        }

        return new ServerCapacity(max, reserved, applications);
    }

    /// <summary>Connections held by every application other than the service itself.</summary>
    /// <param name="ownApplication">
    /// The service's application name; its <c>-admin</c> and <c>-health</c> pools count as its own, a longer name that
    /// merely starts with it (<c>orders-api-v2</c>) does not. Null counts everything.
    /// </param>
    public int OtherClients(string? ownApplication) => Applications
        .Where(a => string.IsNullOrEmpty(ownApplication) || !IsOwn(a.ApplicationName, ownApplication))
        .Sum(a => a.Connections);

    private static bool IsOwn(string name, string own) =>
        name == own || name == own + "-admin" || name == own + "-health";
}
