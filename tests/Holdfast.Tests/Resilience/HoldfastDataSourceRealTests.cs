using System.Diagnostics;
using Holdfast.Testing;
using Holdfast.Timeouts;
using Npgsql;

namespace Holdfast.Tests.Resilience;

/// <summary>The guarded data source against a real server and the fault proxy.</summary>
public sealed class HoldfastDataSourceRealTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OpenAndExecute_HealthyDatabase_Work()
    {
        var app = GuardedSources.NewApplicationName("healthy");
        await using (var db = GuardedSources.Create(postgres, app))
        {
            await using (var connection = await db.OpenConnectionAsync(Ct))
            {
                Assert.Equal(1, await ScalarAsync(connection, "SELECT 1", Ct));
            }

            Assert.Equal(2, await db.ExecuteAsync((c, t) => ScalarAsync(c, "SELECT 2", t), Ct));
            Assert.Equal(3, await db.ExecuteAsync((c, t) => ScalarAsync(c, "SELECT 3", t), TimeSpan.MaxValue, Ct));
            Assert.Equal(CircuitState.Closed, db.Status.State);
            Assert.Equal(0, db.PoolUsage.Busy);
            Assert.True(db.ConnectLatency.Count >= 1, "the physical connect was measured through Npgsql's meter");
        }

        // A closed connection's backend leaves pg_stat_activity a moment later.
        await GuardedSources.EventuallyAsync(async () => await postgres.CountConnectionsAsync(app, Ct) == 0, TimeSpan.FromSeconds(5),
            () => $"server connections left under {app}");
    }

    [Fact]
    public async Task WrongPassword_IsAttemptedExactlyOnce_WithTheFixInTheMessage()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        var app = GuardedSources.NewApplicationName("auth");
        await using var db = GuardedSources.Create(postgres, app, proxy.Port, password: "wrong-cr3t");

        var ex = await Assert.ThrowsAsync<DatabaseConnectionException>(async () => await db.OpenConnectionAsync(Ct));

        Assert.Equal(1, proxy.AcceptedConnections);
        Assert.Equal(1, ex.Attempts);
        Assert.Equal(FailureKind.AuthenticationFailed, ex.Failure.Kind);
        Assert.False(ex.IsTransient);
        Assert.Contains("check the user and password", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-cr3t", ex.ToString(), StringComparison.Ordinal);
        Assert.Equal(CircuitState.Closed, db.Status.State);

        await AssertNothingLeakedAsync(db, postgres, app);
    }

    [Fact]
    public async Task PoolExhausted_IsReportedAsSuch_AndNotRetried()
    {
        var app = GuardedSources.NewApplicationName("pool");
        var builder = new HoldfastDataSourceBuilder(
                $"{postgres.DatabaseUrl}?application_name={app}")
            .UseTimeouts(HoldfastTimeouts.For(HoldfastEnvironment.Test, TimeoutProfile.Seconds(10, 1, 1, 2, 1)))
            .Configure(o => o.Name = app);
        builder.Npgsql.ConnectionStringBuilder.MaxPoolSize = 1;
        await using var db = builder.Build();
        await using var held = await db.OpenConnectionAsync(Ct);

        var ex = await Assert.ThrowsAsync<DatabaseConnectionException>(async () => await db.OpenConnectionAsync(Ct));

        Assert.Equal(FailureKind.PoolExhausted, ex.Failure.Kind);
        Assert.Equal(1, ex.Attempts);
        Assert.Contains("raise Max Pool Size", ex.Message, StringComparison.Ordinal);
        Assert.Equal(CircuitState.Closed, db.Status.State);

        await held.DisposeAsync();
        await AssertNothingLeakedAsync(db, postgres, app);
    }

    [Fact]
    public async Task BlackholedPath_OpensTheBreaker_ThenCallsAreRefusedInUnderAMillisecond()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        var app = GuardedSources.NewApplicationName("blackhole");
        await using var db = GuardedSources.Create(postgres, app, proxy.Port, configure: o => o.Recovery.Enabled = false);
        proxy.Blackhole();

        // Each call retries within its budget; the breaker opens at the 5th failed attempt, whichever call makes it.
        DatabaseConnectionException? last = null;
        for (var call = 0; call < 5 && last is not DatabaseUnavailableException; call++)
        {
            last = await Assert.ThrowsAnyAsync<DatabaseConnectionException>(async () => await db.OpenConnectionAsync(Ct));
            Assert.Contains(last.Failure.Kind, new[] { FailureKind.Timeout });
        }

        Assert.IsType<DatabaseUnavailableException>(last);
        Assert.Equal(CircuitState.Open, db.Status.State);
        Assert.Equal(FailureKind.Timeout, db.Status.LastFailure?.Kind);
        Assert.Equal(5, db.Status.ConsecutiveFailures);

        var rejections = new List<TimeSpan>();
        for (var i = 0; i < 200; i++)
        {
            var watch = Stopwatch.StartNew();
            var refused = await Assert.ThrowsAsync<DatabaseUnavailableException>(async () => await db.OpenConnectionAsync(Ct));
            rejections.Add(watch.Elapsed);
            Assert.True(refused.RetryAfter > TimeSpan.Zero);
        }

        var median = rejections.Order().ElementAt(rejections.Count / 2);
        Assert.True(median < TimeSpan.FromMilliseconds(1), $"median rejection {median.TotalMilliseconds:0.000} ms");
        Assert.Equal(5, proxy.AcceptedConnections);

        await AssertNothingLeakedAsync(db, postgres, app);
    }

    [Fact]
    public async Task HealedPath_HalfOpenProbeClosesTheBreaker()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        var app = GuardedSources.NewApplicationName("halfopen");
        await using var db = GuardedSources.Create(postgres, app, proxy.Port, configure: o =>
        {
            o.Recovery.Enabled = false;
            o.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(1);
        });
        proxy.Refuse();
        await Assert.ThrowsAsync<DatabaseUnavailableException>(async () => await db.OpenConnectionAsync(Ct));
        Assert.Equal(CircuitState.Open, db.Status.State);

        proxy.Pass();
        await Task.Delay(TimeSpan.FromSeconds(1.2), Ct);
        await using (var connection = await db.OpenConnectionAsync(Ct))
        {
            Assert.Equal(1, await ScalarAsync(connection, "SELECT 1", Ct));
        }

        Assert.Equal(CircuitState.Closed, db.Status.State);
        Assert.Equal(0, db.PoolUsage.Busy);

        await AssertNothingLeakedAsync(db, postgres, app);
    }

    [Fact]
    public async Task HealedPath_RecoveryProbeClosesTheBreakerWithoutAnyCaller()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        var app = GuardedSources.NewApplicationName("recovery");
        await using var db = GuardedSources.Create(postgres, app, proxy.Port);
        proxy.Refuse();
        await Assert.ThrowsAsync<DatabaseUnavailableException>(async () => await db.OpenConnectionAsync(Ct));
        Assert.True(db.Status.NextProbeIn <= TimeSpan.FromSeconds(60));

        proxy.Pass();
        var healed = Stopwatch.StartNew();
        while (db.Status.State != CircuitState.Closed && healed.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(50, Ct);
        }

        Assert.Equal(CircuitState.Closed, db.Status.State);
        Assert.True(healed.Elapsed < TimeSpan.FromSeconds(10), $"closed {healed.Elapsed.TotalSeconds:0.0} s after healing (break duration is 60 s)");
        await using (var connection = await db.OpenConnectionAsync(Ct))
        {
            Assert.Equal(1, await ScalarAsync(connection, "SELECT 1", Ct));
        }

        await AssertNothingLeakedAsync(db, postgres, app);
    }

    [Fact]
    public async Task DatabaseRestart_DuringIdempotentReads_SurfacesNoError_AndLeaksNothing()
    {
        await using var restarting = await LocalPostgres.CreateAsync(cancellationToken: Ct);
        var app = GuardedSources.NewApplicationName("restart");
        // A single caller retries a few times through a ~1 s restart; the default threshold of 5 could open the
        // breaker, after which callers are refused at once by design. This test is about retries within the budget.
        await using var db = GuardedSources.Create(restarting, app, configure: o => o.CircuitBreaker.FailureThreshold = 50);
        var reads = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && reads < 2000)
            {
                Assert.Equal(1, await db.ExecuteAsync((c, t) => ScalarAsync(c, "SELECT 1", t), Ct));
                Interlocked.Increment(ref reads);
                await Task.Delay(5, Ct);
            }
        }, Ct);

        await Task.Delay(300, Ct);
        await restarting.RestartAsync(TimeSpan.FromMilliseconds(500), cancellationToken: Ct);
        var afterRestart = Volatile.Read(ref reads);
        while (Volatile.Read(ref reads) < afterRestart + 20)
        {
            Assert.False(loop.IsFaulted, loop.Exception?.ToString());
            await Task.Delay(20, Ct);
        }

        await stop.CancelAsync();
        await loop;
        Assert.Equal(0, db.Status.ConsecutiveFailures);
        await AssertNothingLeakedAsync(db, restarting, app);
    }

    [Fact]
    public async Task ExecuteAsync_OperationError_ComesBackUnchangedAndIsNotRetried()
    {
        var app = GuardedSources.NewApplicationName("operr");
        await using var db = GuardedSources.Create(postgres, app);
        var runs = 0;

        var ex = await Assert.ThrowsAsync<PostgresException>(async () => await db.ExecuteAsync<int>(async (c, t) =>
        {
            runs++;
            return await ScalarAsync(c, "SELECT 1/0", t);
        }, Ct));

        Assert.Equal("22012", ex.SqlState);
        Assert.Equal(1, runs);
        Assert.Equal(0, db.PoolUsage.Busy);

        await AssertNothingLeakedAsync(db, postgres, app);
    }

    [Fact]
    public async Task ExecuteAsync_OperationPastItsBudgetOnALiveServer_IsAQueryTimeout_NotRetried_AndTheCircuitStaysClosed()
    {
        var app = GuardedSources.NewApplicationName("opbudget");
        await using var db = GuardedSources.Create(postgres, app);
        var runs = 0;
        var watch = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<DatabaseConnectionException>(async () => await db.ExecuteAsync((c, t) =>
        {
            Interlocked.Increment(ref runs);
            return ScalarAsync(c, "SELECT 1 FROM pg_sleep(30)", t);
        }, TimeSpan.FromSeconds(1), Ct));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the 1 s budget took {watch.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(FailureKind.QueryTimeout, ex.Failure.Kind);
        Assert.False(ex.IsTransient);
        Assert.Equal(1, runs);
        Assert.Equal(CircuitState.Closed, db.Status.State);
        Assert.Equal(0, db.Status.ConsecutiveFailures);
        Assert.Equal(4, await db.ExecuteAsync((c, t) => ScalarAsync(c, "SELECT 4", t), Ct));
        await AssertNothingLeakedAsync(db, postgres, app);
    }

    [Fact]
    public async Task ExecuteAsync_TransientFailureInsideTheOperation_RetriesTheWholeOperation()
    {
        var app = GuardedSources.NewApplicationName("opretry");
        await using var db = GuardedSources.Create(postgres, app);
        var runs = 0;

        var result = await db.ExecuteAsync(async (c, t) =>
        {
            if (Interlocked.Increment(ref runs) == 1)
            {
                await postgres.TerminateConnectionsAsync(app, t);
            }

            return await ScalarAsync(c, "SELECT 3", t);
        }, Ct);

        Assert.Equal(3, result);
        Assert.Equal(2, runs);

        await AssertNothingLeakedAsync(db, postgres, app);
    }

    private static Task AssertNothingLeakedAsync(HoldfastDataSource db, LocalPostgres server, string applicationName) =>
        GuardedSources.AssertNothingLeakedAsync(db, server, applicationName);

    private static ValueTask<int> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken = default) =>
        GuardedSources.ScalarAsync(connection, sql, cancellationToken);
}
