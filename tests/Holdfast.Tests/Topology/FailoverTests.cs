using Holdfast.Testing;
using Holdfast.Tests.Resilience;
using Npgsql;

namespace Holdfast.Tests.Topology;

/// <summary>
/// A real failover: a primary and its streaming standby, the primary killed (<c>-m immediate</c>, as in a crash), the standby
/// promoted two seconds later, with writers in flight through a multi-host endpoint (<c>target_session_attrs=primary</c>).
/// </summary>
public sealed class FailoverTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KilledPrimary_PromotedStandby_WritersRecoverWithinASecondOfThePromotion_AndNoneSeesAPermanentError()
    {
        await using var primary = await LocalPostgres.CreateAsync(new LocalPostgresOptions { AllowStandbys = true }, Ct);
        await using var standby = await primary.CreateStandbyAsync(Ct);
        await CreateTableAsync(primary);
        var app = GuardedSources.NewApplicationName("failover");
        await using var db = Create(MultiHostUrl(app, "primary", primary, standby), app);
        await using var load = CallLoad.Start(db, callers: 16, WriteAsync);
        await load.WarmAsync();

        var killedAt = load.Now;
        await primary.StopAsync(ShutdownMode.Immediate, Ct);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        var promoting = load.Now;
        await standby.PromoteAsync(Ct);
        var promotedAt = load.Now;
        var recovered = await load.FirstSuccessAfterAsync(promotedAt, TimeSpan.FromSeconds(15));
        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        await load.StopAsync();

        var timeline = $"killed at 0, promote began {(promoting - killedAt).TotalSeconds:0.000} s, promoted {(promotedAt - killedAt).TotalSeconds:0.000} s, " +
                       $"first success {(recovered - killedAt).TotalSeconds:0.000} s; calls: {load.Summary(killedAt)}";
        TestContext.Current.TestOutputHelper?.WriteLine(timeline);
        // The target is 1 s (measured 0.35-0.42 s); the margin is for two cores shared with other test classes.
        Assert.True(recovered - promotedAt < TimeSpan.FromSeconds(1.5), timeline);
        Assert.Empty(load.Unexpected());
        // Which transient kind opened the circuit depends on timing: the connections broken by the crash (Reset,
        // ServerShuttingDown), then no primary among the hosts (Failover). Never a permanent one.
        Assert.All(load.Failures, f => Assert.True(f.Error is DatabaseConnectionException { IsTransient: true }, f.Error.Message));
        Assert.Equal(CircuitState.Closed, db.Status.State);
    }

    [Fact]
    public async Task SwitchoverBack_AfterAFailover_TheOldPrimaryRejoinsAndIsPromoted_WritersFollowWithinASecond()
    {
        await using var first = await LocalPostgres.CreateAsync(new LocalPostgresOptions { AllowStandbys = true }, Ct);
        await using var second = await first.CreateStandbyAsync(Ct);
        await CreateTableAsync(first);
        var app = GuardedSources.NewApplicationName("switchover");
        await using var db = Create(MultiHostUrl(app, "primary", first, second), app);
        await using var load = CallLoad.Start(db, callers: 8, WriteAsync);
        await load.WarmAsync();

        await first.StopAsync(ShutdownMode.Immediate, Ct);
        await second.PromoteAsync(Ct);
        var failedOverAt = load.Now;
        var servedBySecond = await load.FirstSuccessAfterAsync(failedOverAt, TimeSpan.FromSeconds(10));

        // The planned way back: the old primary follows the new one, then the new one stops cleanly and the old is promoted.
        await first.RejoinAsStandbyAsync(second, Ct);
        await first.WaitForCatchUpAsync(cancellationToken: Ct);
        var switchingAt = load.Now;
        await second.StopAsync(ShutdownMode.Fast, Ct);
        await first.PromoteAsync(Ct);
        var promotedAt = load.Now;
        var servedByFirst = await load.FirstSuccessAfterAsync(promotedAt, TimeSpan.FromSeconds(10));
        await load.StopAsync();

        var timeline = $"failover: served {(servedBySecond - failedOverAt).TotalSeconds:0.000} s after the promotion; switchover back: " +
                       $"promoted {(promotedAt - switchingAt).TotalSeconds:0.000} s after the stop, served {(servedByFirst - promotedAt).TotalSeconds:0.000} s after; " +
                       $"calls: {load.Summary(switchingAt)}";
        TestContext.Current.TestOutputHelper?.WriteLine(timeline);
        Assert.True(servedBySecond - failedOverAt < TimeSpan.FromSeconds(1), timeline);
        Assert.True(servedByFirst - promotedAt < TimeSpan.FromSeconds(1), timeline);
        Assert.Empty(load.Unexpected());
        Assert.False(await first.IsInRecoveryAsync(Ct));
    }

    internal static string MultiHostUrl(string applicationName, string targetSessionAttrs, params LocalPostgres[] hosts) =>
        $"postgres://{Uri.EscapeDataString(hosts[0].Username)}:{Uri.EscapeDataString(hosts[0].Password)}@" +
        string.Join(',', hosts.Select(h => $"{h.Host}:{h.Port}")) +
        $"/{hosts[0].Database}?target_session_attrs={targetSessionAttrs}&application_name={applicationName}";

    internal static HoldfastDataSource Create(string url, string applicationName) =>
        GuardedSources.CreateFromUrl(url, applicationName, options => options.OperationBudget = TimeSpan.FromSeconds(3));

    internal static async Task CreateTableAsync(LocalPostgres primary)
    {
        await using var connection = new NpgsqlConnection(primary.ConnectionString + ";Pooling=false");
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS beats (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())", connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    internal static async ValueTask<int> WriteAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("INSERT INTO beats DEFAULT VALUES", connection);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
