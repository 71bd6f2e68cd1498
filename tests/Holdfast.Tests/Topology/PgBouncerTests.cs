using Holdfast.Testing;
using Holdfast.Tests.Resilience;
using Holdfast.Topology;
using Npgsql;

namespace Holdfast.Tests.Topology;

/// <summary>The guarded source behind a real PgBouncer (Debian's 1.18), transaction pooling unless said otherwise.</summary>
public sealed class PgBouncerTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AutoPrepareBehindTransactionPooling_IsTurnedOffOnceThePoolerIsFound_AndConcurrentQueriesAllSucceed()
    {
        await using var bouncer = await LocalPgBouncer.CreateAsync(fixture.Postgres, new LocalPgBouncerOptions { DefaultPoolSize = 2 }, Ct);
        var app = GuardedSources.NewApplicationName("bouncer-auto");
        await using var db = Create(bouncer, app, PoolerMode.Auto, maxAutoPrepare: 10);

        await db.ExecuteAsync((c, t) => GuardedSources.ScalarAsync(c, "SELECT 1", t), Ct);
        var pooler = await db.DetectPoolerAsync(Ct);
        var failures = await RunStatementsAsync(db, callers: 8, rounds: 40);

        Assert.True(pooler is { Name: "PgBouncer", Mode: PoolingMode.Transaction }, pooler.Evidence);
        Assert.Same(pooler, db.Pooler);
        var settings = new NpgsqlConnectionStringBuilder(db.Inner.ConnectionString);
        Assert.Equal(0, settings.MaxAutoPrepare);
        Assert.True(settings.NoResetOnClose);
        Assert.Empty(failures);
    }

    [Fact]
    public async Task AutoPrepareForcedOn_BehindTransactionPooling_FailsAsConfiguration_WithTheFix()
    {
        await using var bouncer = await LocalPgBouncer.CreateAsync(fixture.Postgres, new LocalPgBouncerOptions { DefaultPoolSize = 2 }, Ct);
        var app = GuardedSources.NewApplicationName("bouncer-forced");
        await using var db = Create(bouncer, app, PoolerMode.None, maxAutoPrepare: 10);

        var failures = await RunStatementsAsync(db, callers: 8, rounds: 40);

        Assert.Null(db.Pooler);
        var clash = failures.OfType<DatabaseConnectionException>().FirstOrDefault(f => f.Failure.Kind == FailureKind.Configuration);
        Assert.True(clash is not null, $"no Configuration failure among {failures.Count}: {string.Join("; ", failures.Take(3).Select(f => f.Message))}");
        Assert.Contains(clash.Failure.SqlState, new[] { "42P05", "26000" });
        Assert.False(clash.IsTransient);
        Assert.Contains("pooler in transaction mode", clash.Failure.Diagnosis, StringComparison.Ordinal);
        Assert.Contains("Holdfast:Pooler:Mode", clash.Failure.Diagnosis, StringComparison.Ordinal);
        Assert.Equal(CircuitState.Closed, db.Status.State);
    }

    [Fact]
    public async Task APreparedStatementClashWithNoPoolerInFront_IsTheOperationsOwnError()
    {
        var app = GuardedSources.NewApplicationName("no-pooler-clash");
        await using var db = GuardedSources.Create(fixture.Postgres, app);
        await db.ExecuteAsync((c, t) => GuardedSources.ScalarAsync(c, "SELECT 1", t), Ct);
        Assert.False((await db.DetectPoolerAsync(Ct)).Present);

        var error = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync(async (c, t) =>
        {
            await using var command = new NpgsqlCommand("PREPARE twice AS SELECT 1; PREPARE twice AS SELECT 1", c);
            return await command.ExecuteNonQueryAsync(t);
        }, Ct).AsTask());

        Assert.Equal("42P05", error.SqlState);
    }

    [Fact]
    public async Task DeclaredTransactionPooling_AdaptsBeforeTheFirstOpen_WithoutDetecting()
    {
        await using var bouncer = await LocalPgBouncer.CreateAsync(fixture.Postgres, cancellationToken: Ct);
        var app = GuardedSources.NewApplicationName("bouncer-declared");
        await using var db = Create(bouncer, app, PoolerMode.Transaction, maxAutoPrepare: 10);

        Assert.Equal(PoolingMode.Transaction, db.Pooler?.Mode);
        Assert.Equal(0, new NpgsqlConnectionStringBuilder(db.Inner.ConnectionString).MaxAutoPrepare);
        Assert.Empty(await RunStatementsAsync(db, callers: 8, rounds: 20));
    }

    [Fact]
    public async Task PgBouncerRestart_UnderLoad_IsSurvivedLikeADatabaseRestart()
    {
        await using var bouncer = await LocalPgBouncer.CreateAsync(fixture.Postgres, cancellationToken: Ct);
        var app = GuardedSources.NewApplicationName("bouncer-restart");
        await using var db = Create(bouncer, app, PoolerMode.Auto);
        await using var load = CallLoad.Start(db, callers: 16);
        await load.WarmAsync();

        var stoppedAt = load.Now;
        await bouncer.RestartAsync(TimeSpan.FromSeconds(1), Ct);
        var startedAt = load.Now;
        var recovered = await load.FirstSuccessAfterAsync(startedAt, TimeSpan.FromSeconds(5));
        await load.StopAsync();

        var timeline = $"restarted in {(startedAt - stoppedAt).TotalSeconds:0.000} s, served {(recovered - startedAt).TotalSeconds:0.000} s later; calls: {load.Summary(stoppedAt)}";
        TestContext.Current.TestOutputHelper?.WriteLine(timeline);
        Assert.Empty(load.Unexpected());
        // Usually 0.5-0.65 s; one loaded run took 2.5 s (not yet explained). PgBouncer's own default would hold clients 15 s.
        Assert.True(recovered - startedAt < TimeSpan.FromSeconds(3), timeline);
    }

    [Fact]
    public async Task DatabaseRestartBehindPgBouncer_UnderLoad_OnlyTransientFailures_AndServedSoonAfterTheStart()
    {
        await using var postgres = await LocalPostgres.CreateAsync(cancellationToken: Ct);
        await using var bouncer = await LocalPgBouncer.CreateAsync(postgres, cancellationToken: Ct);
        var app = GuardedSources.NewApplicationName("bouncer-db-restart");
        await using var db = Create(bouncer, app, PoolerMode.Auto);
        await using var load = CallLoad.Start(db, callers: 16);
        await load.WarmAsync();

        var stoppedAt = load.Now;
        await postgres.StopAsync(ShutdownMode.Fast, Ct);
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        await postgres.StartAsync(Ct);
        var startedAt = load.Now;
        var recovered = await load.FirstSuccessAfterAsync(startedAt, TimeSpan.FromSeconds(10));
        await load.StopAsync();

        var timeline = $"database down {(startedAt - stoppedAt).TotalSeconds:0.000} s behind PgBouncer, served {(recovered - startedAt).TotalSeconds:0.000} s after its start; " +
                       $"calls: {load.Summary(stoppedAt)}";
        TestContext.Current.TestOutputHelper?.WriteLine(timeline);
        Assert.Empty(load.Unexpected());
        Assert.True(recovered - startedAt < TimeSpan.FromSeconds(2.5), timeline);
    }

    [Fact]
    public async Task PauseAndResume_UnderLoad_CallsWaitOrFailTransiently_AndAllSucceedAfterTheResume()
    {
        await using var bouncer = await LocalPgBouncer.CreateAsync(fixture.Postgres, cancellationToken: Ct);
        var app = GuardedSources.NewApplicationName("bouncer-pause");
        await using var db = Create(bouncer, app, PoolerMode.Auto);
        await using var load = CallLoad.Start(db, callers: 16);
        await load.WarmAsync();

        var pausedAt = load.Now;
        await bouncer.PauseAsync(Ct);
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
        await bouncer.ResumeAsync(Ct);
        var resumedAt = load.Now;
        var recovered = await load.FirstSuccessAfterAsync(resumedAt, TimeSpan.FromSeconds(5));
        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        await load.StopAsync();

        var timeline = $"paused {(resumedAt - pausedAt).TotalSeconds:0.000} s, served {(recovered - resumedAt).TotalSeconds:0.000} s after the resume; calls: {load.Summary(pausedAt)}";
        TestContext.Current.TestOutputHelper?.WriteLine(timeline);
        Assert.Empty(load.Unexpected());
        Assert.True(recovered - resumedAt < TimeSpan.FromSeconds(1), timeline);
    }

    private static HoldfastDataSource Create(LocalPgBouncer bouncer, string applicationName, PoolerMode pooler, int maxAutoPrepare = 0) =>
        GuardedSources.CreateFromUrl(bouncer.DatabaseUrl + $"?application_name={applicationName}", applicationName,
            options =>
            {
                options.Pooler = pooler;
                options.OperationBudget = TimeSpan.FromSeconds(3);
            },
            npgsql =>
            {
                npgsql.MaxAutoPrepare = maxAutoPrepare;
                npgsql.AutoPrepareMinUsages = 2;
            });

    /// <summary>Callers each running a few distinct parameterized statements many times: what automatic preparation prepares.</summary>
    private static async Task<IReadOnlyList<Exception>> RunStatementsAsync(HoldfastDataSource db, int callers, int rounds)
    {
        var failures = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            for (var round = 0; round < rounds; round++)
            {
                try
                {
                    var statement = (caller + round) % 3;
                    await db.ExecuteAsync(async (c, t) =>
                    {
                        await using var command = new NpgsqlCommand(statement switch
                        {
                            0 => "SELECT $1::int + 1",
                            1 => "SELECT length($1::int::text)",
                            _ => "SELECT $1::int * 2",
                        }, c);
                        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = round });
                        return Convert.ToInt32(await command.ExecuteScalarAsync(t), System.Globalization.CultureInfo.InvariantCulture);
                    }, Ct);
                }
#pragma warning disable CA1031 // Every failure is collected and judged by the test.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    failures.Add(ex);
                }
            }
        }, Ct)));
        return [.. failures];
    }
}
