using Holdfast.Testing;
using Npgsql;

namespace Holdfast.Tests.Resilience;

/// <summary>
/// The guarded hot path at raw Npgsql's cost: a pooled open and an <c>ExecuteAsync</c> whose operation completes at once
/// allocate what Npgsql's own open allocates (measured on the calling thread: both complete synchronously), and the
/// pooled deadlines behind <c>ExecuteAsync</c> never carry one call's cancellation into another's, with forty callers.
/// </summary>
public sealed class HotPathTests(PostgresFixture fixture)
{
    private const int Calls = 2000;

    /// <summary>What the hot path may allocate beyond raw Npgsql's open (the budget: 64 B).</summary>
    private const long Slack = 64;

    private readonly LocalPostgres postgres = fixture.Postgres;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PooledOpenAndExecute_AllocateNoMoreThanRawNpgsqlsOpen()
    {
        var app = GuardedSources.NewApplicationName("hot-path");
        await using var raw = NpgsqlDataSource.Create(postgres.ConnectionString);
        await using var db = GuardedSources.Create(postgres, app);
        // Warm both pools and every code path (JIT, pooled deadlines, the stale-connection slots).
        for (var i = 0; i < 200; i++)
        {
            await OpenRawAsync(raw);
            await OpenGuardedAsync(db);
            await ExecuteAsync(db);
        }

        var rawBytes = AllocatedPerCall(() => OpenRawAsync(raw));
        var openBytes = AllocatedPerCall(() => OpenGuardedAsync(db));
        var executeBytes = AllocatedPerCall(() => ExecuteAsync(db));

        Assert.True(openBytes <= rawBytes + Slack, $"a pooled open allocated {openBytes} B a call; raw Npgsql's {rawBytes} B");
        Assert.True(executeBytes <= rawBytes + Slack, $"ExecuteAsync allocated {executeBytes} B a call; raw Npgsql's open {rawBytes} B");
        await GuardedSources.AssertNothingLeakedAsync(db, postgres, app);
    }

    [Fact]
    public async Task FortyCallers_SomeRunningPastTheirBudget_NeverCancelAnotherCallersOperation()
    {
        // A server of its own: forty connections held at once would crowd the assembly's shared one.
        await using var server = await LocalPostgres.CreateAsync(new LocalPostgresOptions { MaxConnections = 60 }, Ct);
        var app = GuardedSources.NewApplicationName("hot-deadlines");
        await using var db = GuardedSources.Create(server, app, npgsql: b => b.MaxPoolSize = 40);
        // Forty connections opened first, so that no caller's budget is spent on a physical connect.
        var warm = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => db.OpenConnectionAsync(Ct).AsTask()));
        foreach (var connection in warm)
        {
            await connection.DisposeAsync();
        }

        var spurious = 0;
        var expired = 0;
        var served = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        stop.CancelAfter(TimeSpan.FromSeconds(3));

        // Ten callers whose operations outlive a 150 ms budget (their deadlines fire, their deadline objects are not
        // reused) beside thirty whose operations end well inside theirs (their deadlines are reused call after call).
        var slow = Enumerable.Range(0, 10).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await db.ExecuteAsync(static async (connection, token) =>
                    {
                        await using var command = new NpgsqlCommand("SELECT pg_sleep(0.4)", connection);
                        return await command.ExecuteScalarAsync(token);
                    }, TimeSpan.FromMilliseconds(150), Ct);
                }
                catch (DatabaseConnectionException ex)
                {
                    Assert.Equal(FailureKind.QueryTimeout, ex.Failure.Kind);
                    Interlocked.Increment(ref expired);
                }
            }
        }, Ct));
        var fast = Enumerable.Range(0, 30).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await db.ExecuteAsync(static async (connection, token) =>
                    {
                        await using var command = new NpgsqlCommand("SELECT 1", connection);
                        return await command.ExecuteScalarAsync(token);
                    }, TimeSpan.FromSeconds(5), Ct);
                    Interlocked.Increment(ref served);
                }
                catch (Exception ex) when (ex is OperationCanceledException or DatabaseConnectionException)
                {
                    Interlocked.Increment(ref spurious);
                }
            }
        }, Ct));
        await Task.WhenAll(slow.Concat(fast));

        Assert.True(expired >= 10, $"only {expired} slow operations reached their deadline");
        Assert.True(served >= 30, $"only {served} fast operations were served");
        Assert.Equal(0, spurious);
        Assert.Equal(CircuitState.Closed, db.Status.State);
        await GuardedSources.AssertNothingLeakedAsync(db, server, app);
    }

    /// <summary>Bytes the calling thread allocates per call; every call must complete synchronously, or it measures another thread.</summary>
    private static long AllocatedPerCall(Func<ValueTask> call)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            var pending = call();
            Assert.True(pending.IsCompletedSuccessfully, "a pooled call went asynchronous: its allocations cannot be measured on this thread");
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / Calls;
    }

    private static async ValueTask OpenRawAsync(NpgsqlDataSource raw)
    {
        await using var connection = await raw.OpenConnectionAsync(CancellationToken.None);
    }

    private static async ValueTask OpenGuardedAsync(HoldfastDataSource db)
    {
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
    }

    private static async ValueTask ExecuteAsync(HoldfastDataSource db) =>
        _ = await db.ExecuteAsync(static (_, _) => ValueTask.FromResult(1), CancellationToken.None);
}
