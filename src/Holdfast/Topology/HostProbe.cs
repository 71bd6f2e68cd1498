using Npgsql;

namespace Holdfast.Topology;

/// <summary>
/// Looks at every host of an endpoint on its own: one unpooled connection each, in parallel, whatever
/// <c>target_session_attrs</c> asks for, reading <c>pg_is_in_recovery()</c> and, on a standby, how far replay is behind
/// (functions any role may call). For <c>holdfast doctor</c> and <c>/health</c>.
/// </summary>
internal static class HostProbe
{
    private const string Query =
        "SELECT pg_is_in_recovery(), " +
        "CASE WHEN pg_is_in_recovery() THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint END, " +
        "CASE WHEN pg_is_in_recovery() THEN extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END";

    /// <summary>Probes each host of <paramref name="endpoint"/>.</summary>
    /// <param name="endpoint">The endpoint.</param>
    /// <param name="timeout">The most each host may take.</param>
    /// <param name="time">The clock that measures each host's latency and its deadline.</param>
    /// <param name="applicationName">The application name of the probe connections; the endpoint's when null.</param>
    /// <param name="configure">What every Npgsql builder of the application gets (a password provider, TLS callbacks); none when null.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    public static async Task<IReadOnlyList<HostState>> ProbeAsync(DatabaseEndpoint endpoint, TimeSpan timeout, TimeProvider time, string? applicationName = null,
        Action<NpgsqlDataSourceBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(time);
        return await Task.WhenAll(endpoint.Hosts.Select(h => ProbeHostAsync(endpoint, h, timeout, time, applicationName, configure, cancellationToken)))
            .ConfigureAwait(false);
    }

    private static async Task<HostState> ProbeHostAsync(DatabaseEndpoint endpoint, DatabaseHost host, TimeSpan timeout, TimeProvider time, string? applicationName,
        Action<NpgsqlDataSourceBuilder>? configure, CancellationToken cancellationToken)
    {
        // The application's builder settings first (a password provider reaches the probe), then this host alone, unpooled.
        var builder = new NpgsqlDataSourceBuilder(endpoint.ToConnectionStringBuilder(applicationName).ConnectionString);
        configure?.Invoke(builder);
        var settings = builder.ConnectionStringBuilder;
        settings.Host = host.Host;
        settings.Port = host.Port;
        settings.TargetSessionAttributes = null;
        settings.Pooling = false;
        settings.Timeout = DatabaseEndpoint.ToNpgsqlTimeoutSeconds(timeout);
        await using var source = builder.Build();
        var started = time.GetTimestamp();
        using var expiry = new CancellationTokenSource(timeout, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, expiry.Token);
        try
        {
            await using var connection = await source.OpenConnectionAsync(deadline.Token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(Query, connection);
            await using var reader = await command.ExecuteReaderAsync(deadline.Token).ConfigureAwait(false);
            await reader.ReadAsync(deadline.Token).ConfigureAwait(false);
            var standby = reader.GetBoolean(0);
            long? lag = reader.IsDBNull(1) ? null : reader.GetInt64(1);
            TimeSpan? age = reader.IsDBNull(2) ? null : TimeSpan.FromSeconds(Math.Max(0, reader.GetDouble(2)));
            return new HostState(host, standby ? HostRole.Standby : HostRole.Primary, time.GetElapsedTime(started), lag, age, null);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException &&
                                   !cancellationToken.IsCancellationRequested)
        {
            var failure = ex is OperationCanceledException or TimeoutException
                ? FailureClassifier.FromKind(FailureKind.Timeout, $"no answer from {host} within {timeout.TotalSeconds:0.###} s", endpoint)
                : FailureClassifier.Classify(ex, endpoint);
            return new HostState(host, HostRole.Unreachable, time.GetElapsedTime(started), null, null, failure);
        }
    }
}
