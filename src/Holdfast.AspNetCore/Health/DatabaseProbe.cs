using Holdfast.Resilience;
using Holdfast.Topology;
using Npgsql;

namespace Holdfast.AspNetCore.Health;

/// <summary>
/// Probes the database for health checks: a connection from the health pool (its own application name, at most
/// <see cref="HealthOptions.MaxConnections"/> connections) and one query (it reads the server's connection limit: a round trip like <c>SELECT 1</c>), within the health-check timeout.
/// Any number of concurrent callers share one probe in flight and its result for <see cref="HealthOptions.CacheDuration"/>;
/// the probe's connection is disposed with <c>await using</c>, never closed while in use. A successful probe while the
/// guarded data source's circuit is open closes it: the database answers again, so service follows it back now. With
/// several hosts, each is also probed on its own (role, replication lag) for <c>/health</c>.
/// </summary>
internal sealed class DatabaseProbe : IAsyncDisposable
{
    /// <summary>
    /// The connections the server lets ordinary roles open: <c>max_connections</c> less the slots it keeps for superusers
    /// and (PostgreSQL 16+) for <c>pg_use_reserved_connections</c>.
    /// </summary>
    private const string ConnectionLimitQuery =
        "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int " +
        "- coalesce(current_setting('reserved_connections', true)::int, 0)";

    private readonly NpgsqlDataSource healthSource;
    private readonly HoldfastDataSource dataSource;
    private readonly HealthOptions options;
    private readonly TimeProvider time;
    private readonly Lock gate = new();
    private Task<DatabaseProbeResult>? current;
    private long completedAt;
    private int connectionLimit;

    public DatabaseProbe(HoldfastDataSource dataSource, HealthOptions options)
    {
        this.dataSource = dataSource;
        this.options = options;
        time = dataSource.Options.TimeProvider;
        // The main pool's settings and the application's builder hook (a password provider reaches the probe too).
        healthSource = dataSource.CreateSideBuilder("-health", settings =>
        {
            settings.ApplicationName = ApplicationName(dataSource);
            settings.MaxPoolSize = options.MaxConnections;
            settings.MinPoolSize = 0;
            settings.Timeout = Holdfast.DatabaseEndpoint.ToNpgsqlTimeoutSeconds(dataSource.EffectiveTimeouts.HealthCheck);
            // SELECT 1 gains nothing from preparation, and behind a transaction pooler a prepared one would clash.
            settings.MaxAutoPrepare = 0;
            settings.NoResetOnClose = true;
        }).Build();
    }

    /// <summary>The application name of health probes: the service's plus <c>-health</c>.</summary>
    public static string ApplicationName(HoldfastDataSource dataSource) =>
        new NpgsqlConnectionStringBuilder(dataSource.Inner.ConnectionString).ApplicationName + "-health";

    /// <summary>The last completed probe, if any (a new one may be in flight).</summary>
    public DatabaseProbeResult? Last => Volatile.Read(ref last);

    /// <summary>The server's connection limit for ordinary roles as the last probe that answered read it; 0 before one did.</summary>
    public int ConnectionLimit => Volatile.Read(ref connectionLimit);

    private DatabaseProbeResult? last;

    /// <summary>The shared probe: the one in flight, or a fresh enough result, or a new one.</summary>
    public Task<DatabaseProbeResult> ProbeAsync()
    {
        lock (gate)
        {
            if (current is { } task && (!task.IsCompleted || time.GetElapsedTime(Interlocked.Read(ref completedAt)) < options.CacheDuration))
            {
                return task;
            }

            return current = RunAsync();
        }
    }

    public ValueTask DisposeAsync() => healthSource.DisposeAsync();

    private async Task<DatabaseProbeResult> RunAsync()
    {
        await Task.Yield();
        var started = time.GetTimestamp();
        var timeout = dataSource.EffectiveTimeouts.HealthCheck;
        DatabaseProbeResult result;
        // Several hosts: each is also looked at on its own (one unpooled connection per host, once per cache period).
        var hosts = dataSource.Endpoint.IsMultiHost
            ? HostProbe.ProbeAsync(dataSource.Endpoint, timeout, time, ApplicationName(dataSource), dataSource.NpgsqlHook)
            : Task.FromResult<IReadOnlyList<HostState>>([]);
        try
        {
            using var deadline = new CancellationTokenSource(timeout, time);
            await ProbeOnceAsync(deadline.Token).ConfigureAwait(false);
            result = new DatabaseProbeResult(true, time.GetElapsedTime(started), time.GetUtcNow(), null);
            // The server certificate is looked at again once per check interval while health is asked (it never waits here).
            dataSource.Certificate.RefreshIfDue();
            if (dataSource.Status.State is CircuitState.Open or CircuitState.HalfOpen)
            {
                await dataSource.CloseCircuitAsync().ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // A health probe never throws into the application: its failure is the result.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var failure = ex is OperationCanceledException or TimeoutException
                ? FailureClassifier.FromKind(FailureKind.Timeout, $"no answer within the {timeout.TotalSeconds:0.###} s health-check timeout", dataSource.Endpoint)
                : FailureClassifier.Classify(ex, dataSource.Endpoint);
            result = new DatabaseProbeResult(false, time.GetElapsedTime(started), time.GetUtcNow(), failure);
        }

        if (dataSource.Endpoint.IsMultiHost)
        {
            result = result with { Hosts = await hosts.ConfigureAwait(false) };
        }

        Interlocked.Exchange(ref completedAt, time.GetTimestamp());
        Volatile.Write(ref last, result);
        return result;
    }

    private async Task ProbeOnceAsync(CancellationToken cancellationToken)
    {
        // Npgsql cannot cancel a connect during start-up and authentication: the probe ends at its deadline anyway, and
        // a connection that arrives later is disposed, not leaked.
        if (healthSource is NpgsqlMultiHostDataSource multiHost)
        {
            // Npgsql would trust each host's remembered role for Host Recheck Seconds: a promoted standby must count now.
            multiHost.ClearDatabaseStates();
        }

        // While the path fails, the probe's connect is one of this instance's paced attempts (with the pool's and the
        // recovery probe's): a fleet's health checks add nothing to a reconnect storm.
        var lease = dataSource.Pacer is { IsEngaged: true } pacer
            ? await pacer.EnterAsync(cancellationToken).ConfigureAwait(false)
            : ConnectPacer.Lease.None;
        var answered = false;
        try
        {
            var connection = await AbandonableOpen.WaitAsync(healthSource.OpenConnectionAsync(cancellationToken).AsTask(), cancellationToken).ConfigureAwait(false);
            if (StaleConnections.IsEnded(connection, time))
            {
                // The health pool's idle connection from before a restart: the server ended it, so the probe takes a fresh
                // one instead of reporting the restart that is already over (and holding readiness back a cache period).
                StaleConnections.Discard(connection);
                connection = await AbandonableOpen.WaitAsync(healthSource.OpenConnectionAsync(cancellationToken).AsTask(), cancellationToken).ConfigureAwait(false);
            }

            await using (connection.ConfigureAwait(false))
            {
                // The answer is the server's connection limit, for the fleet-capacity alert: one round trip, like SELECT 1.
                await using var command = new NpgsqlCommand(ConnectionLimitQuery, connection);
                var limit = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                answered = true;
                Volatile.Write(ref connectionLimit, limit is int slots ? slots : 0);
            }
        }
        finally
        {
            lease.Release(answered);
        }
    }
}
