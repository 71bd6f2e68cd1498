using Holdfast.Testing;

namespace Holdfast.Tests.Resilience;

/// <summary>
/// Outages the way they happen in production: dozens of callers in flight when the path fails. The time bounds are
/// generous multiples of the targets; what they separate is "fails within one attempt" from "waits out the budget".
/// </summary>
public sealed class OutageUnderLoadTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RefusedPath_FortyCallers_GetUnavailableWithinASecond_NoneWaitsOutItsBudget_AndServiceReturns()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        var app = GuardedSources.NewApplicationName("refuse-load");
        // 40 cold connects at once on a shared 2-core machine can take longer than the short profile's 500 ms first
        // attempt before any fault; a refused connect fails at once whatever the attempt timeout, so it is not what is tested.
        var db = GuardedSources.Create(postgres, app, proxy.Port, configure: o =>
        {
            o.OperationBudget = TimeSpan.FromSeconds(10);
            o.AttemptTimeout.FirstAttempt = TimeSpan.FromSeconds(2);
        });
        await using var load = CallLoad.Start(db, callers: 40);
        await load.WarmAsync();

        var faultAt = load.Now;
        proxy.Refuse();
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        proxy.Pass();
        var healedAt = load.Now;
        var recovered = await load.FirstSuccessAfterAsync(healedAt, TimeSpan.FromSeconds(5));
        await load.StopAsync();

        var firstRefusal = load.First<DatabaseUnavailableException>(after: faultAt);
        Assert.True(firstRefusal - faultAt < TimeSpan.FromSeconds(1.5),
            $"first 503-worthy refusal {(firstRefusal - faultAt).TotalSeconds:0.000} s after the fault; calls since: {load.Summary(faultAt)}");
        var longest = load.Longest(during: (faultAt, healedAt));
        Assert.True(longest < TimeSpan.FromSeconds(3), $"a call took {longest.TotalSeconds:0.000} s during the outage (budget 10 s): {load.Describe(longest, faultAt)}");
        Assert.Empty(load.Unexpected());
        // Recovery probes every half second, not the 60 s break; the bound leaves room for a second test lane's load.
        Assert.True(recovered - healedAt < TimeSpan.FromSeconds(4), $"served again {(recovered - healedAt).TotalSeconds:0.000} s after the heal");
        await GuardedSources.AssertNothingLeakedAsync(db, postgres, app);
    }

    [Fact]
    public async Task SilentPath_TwentyFourCallers_EndWithinTheOperationBudget_OpenTheCircuit_AndServiceReturnsAfterTheHeal()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        var app = GuardedSources.NewApplicationName("silent-load");
        var budget = TimeSpan.FromSeconds(2);
        // Npgsql ignores a cancellation while it reads a pooled connection's reset (DISCARD ALL) and waits for its own
        // command timeout instead, then cancels on the server. A command timeout just past the heal lets the frozen
        // connections go within the test; the callers were freed long before.
        var db = GuardedSources.Create(postgres, app, proxy.Port, configure: o => o.OperationBudget = budget, npgsql: s => s.CommandTimeout = 6);

        // Npgsql delivers that server-side cancellation synchronously, each blocking a pool thread until the server
        // closes the cancel connection. Here the "network" is FaultProxy in this same process, whose pumps need pool
        // threads to forward it: two dozen blocked threads would wait on a proxy that cannot run. A real network needs
        // no thread of the service, so the proxy gets threads of its own here.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), io);
        using var restore = new Restore(() => ThreadPool.SetMinThreads(workers, io));
        await using var load = CallLoad.Start(db, callers: 24);
        await load.WarmAsync();

        var faultAt = load.Now;
        proxy.Blackhole();
        await Task.Delay(TimeSpan.FromSeconds(5), Ct);
        Assert.Equal(CircuitState.Open, db.Status.State);
        proxy.Pass();
        var healedAt = load.Now;
        var recovered = await load.FirstSuccessAfterAsync(healedAt, TimeSpan.FromSeconds(8));
        await load.StopAsync();

        // Budget 2 s, then up to 1 s for the cancellation to be answered: every caller is free by then.
        var longest = load.Longest(during: (faultAt, healedAt));
        Assert.True(longest < budget + TimeSpan.FromSeconds(2), $"a call took {longest.TotalSeconds:0.000} s on the silent path");
        var firstFailure = load.FirstFailure(after: faultAt);
        Assert.True(firstFailure - faultAt < budget + TimeSpan.FromSeconds(2), $"first failure {(firstFailure - faultAt).TotalSeconds:0.000} s after the fault");
        Assert.Empty(load.Unexpected());
        Assert.True(recovered - healedAt < TimeSpan.FromSeconds(3), $"served again {(recovered - healedAt).TotalSeconds:0.000} s after the heal");
        await GuardedSources.AssertNothingLeakedAsync(db, postgres, app);
    }

    private sealed class Restore(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
