using Holdfast.AspNetCore.Health;
using Holdfast.Testing;
using Holdfast.Timeouts;

namespace Holdfast.AspNetCore.Tests.Health;

public sealed class DatabaseProbeTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ProbeAsync_ConcurrentCallers_ShareOneProbeAndItsCachedResult()
    {
        await using var db = Create(postgres.Port, "coalesce");
        await using var probe = new DatabaseProbe(db, new HealthOptions { CacheDuration = TimeSpan.FromMilliseconds(300) });

        var calls = await Task.WhenAll(Enumerable.Range(0, 500).Select(_ => Task.Run(probe.ProbeAsync, Ct)));
        var cached = probe.ProbeAsync();
        await Task.Delay(400, Ct);
        var fresh = probe.ProbeAsync();

        Assert.Single(calls.Distinct());
        Assert.True(calls[0].Answers);
        Assert.Same(calls[0], await cached);
        Assert.NotSame(calls[0], await fresh);
        Assert.InRange(await postgres.CountConnectionsAsync(DatabaseProbe.ApplicationName(db), Ct), 1, 2);
    }

    [Fact]
    public async Task ProbeAsync_BlackholedPath_IsATimeoutWithinTheHealthCheckTimeout_AndNeverThrows()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.Blackhole();
        await using var db = Create(proxy.Port, "blackhole");
        await using var probe = new DatabaseProbe(db, new HealthOptions());

        var result = await probe.ProbeAsync().WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.False(result.Answers);
        Assert.Equal(FailureKind.Timeout, result.Failure?.Kind);
        Assert.InRange(result.Latency, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task ProbeAsync_DatabaseAnswersWhileTheCircuitIsOpen_ClosesTheCircuit()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        await using var db = Create(proxy.Port, "reopen", o => o.Recovery.Enabled = false);
        await using var probe = new DatabaseProbe(db, new HealthOptions());
        proxy.Refuse();
        await Assert.ThrowsAsync<DatabaseUnavailableException>(async () => await db.OpenConnectionAsync(Ct));
        proxy.Pass();

        var result = await probe.ProbeAsync();

        Assert.True(result.Answers);
        Assert.Equal(CircuitState.Closed, db.Status.State);
    }

    private HoldfastDataSource Create(int port, string purpose, Action<HoldfastDataSourceOptions>? configure = null)
    {
        var app = $"hf-{purpose}-{Guid.NewGuid().ToString("N")[..8]}";
        return new HoldfastDataSourceBuilder(
                $"{postgres.DatabaseUrlVia(port)}?application_name={app}")
            .UseTimeouts(HoldfastTimeouts.For(HoldfastEnvironment.Test, TimeoutProfile.Seconds(10, 2, 3, 2, 1)))
            .Configure(o =>
            {
                o.Name = app;
                o.Retry.BaseDelay = TimeSpan.FromMilliseconds(50);
                o.AttemptTimeout.FirstAttempt = TimeSpan.FromMilliseconds(500);
                configure?.Invoke(o);
            })
            .Build();
    }
}
