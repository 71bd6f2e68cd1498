using System.Diagnostics;
using System.Diagnostics.Metrics;
using Holdfast.EntityFrameworkCore.Tests.Support;
using Holdfast.Testing;
using Holdfast.Timeouts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Holdfast.EntityFrameworkCore.Tests;

/// <summary>EF Core queries through UseHoldfast, against real PostgreSQL and FaultProxy.</summary>
public sealed class ExecutionStrategyTests(PostgresFixture fixture)
{
    private static readonly TimeoutProfile Short = TimeoutProfile.Seconds(10, 2, 3, 2, 1, 5);
    private readonly LocalPostgres postgres = fixture.Postgres;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Query_AfterTheConnectionsWereReset_IsRetriedOnANewConnection()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        await using var source = Source(postgres.DatabaseUrlVia(proxy.Port), "ef-reset");
        var counters = new Counters();
        await using var db = Context(source, counters);
        Assert.Equal(1, await db.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\"").SingleAsync(Ct));   // a pooled connection now exists

        proxy.ResetOpenConnections();
        var value = await db.Database.SqlQueryRaw<int>("SELECT 2 AS \"Value\"").SingleAsync(Ct);

        Assert.Equal(2, value);
        Assert.Equal(3, counters.Commands);   // the warm-up, the attempt on the reset connection, the retry
    }

    [Fact]
    public async Task Query_AfterADatabaseRestart_IsRetriedOnANewConnection()
    {
        await using var own = await LocalPostgres.CreateAsync(cancellationToken: Ct);
        await using var source = Source(own.DatabaseUrl, "ef-restart");
        var counters = new Counters();
        await using var db = Context(source, counters);
        Assert.Equal(1, await db.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\"").SingleAsync(Ct));

        await own.RestartAsync(cancellationToken: Ct);
        var value = await db.Database.SqlQueryRaw<int>("SELECT 2 AS \"Value\"").SingleAsync(Ct);

        Assert.Equal(2, value);
        Assert.True(counters.Commands >= 3, $"{counters.Commands} commands: the pooled connection died with the server, so the query ran again");
    }

    [Fact]
    public async Task WrongPassword_FailsInOneAttempt_WithTheDiagnosis()
    {
        var url = $"postgres://{postgres.Username}:Wr0ng-{Guid.NewGuid():N}@{postgres.Host}:{postgres.Port}/{postgres.Database}";
        await using var source = Source(url, "ef-password");
        var counters = new Counters();
        await using var db = Context(source, counters);
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => db.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\"").SingleAsync(Ct));

        Assert.Equal(1, counters.Opens);
        Assert.Equal(FailureKind.AuthenticationFailed, FailureClassifier.ClassifyKind(error, source.Endpoint));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed.TotalSeconds:0.00} s");
        Assert.Equal(CircuitState.Closed, source.Status.State);   // a permanent failure never counts against the circuit
    }

    [Fact]
    public async Task QueryTimeout_IsNotRetried()
    {
        await using var source = Source(postgres.DatabaseUrl, "ef-timeout");
        var counters = new Counters();
        await using var db = Context(source, counters);
        db.Database.SetCommandTimeout(1);
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => db.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\" FROM pg_sleep(4)").SingleAsync(Ct));

        Assert.Equal(1, counters.Commands);
        Assert.Equal(FailureKind.QueryTimeout, FailureClassifier.ClassifyKind(error, source.Endpoint, FailureOperation.Command));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3.5), $"took {watch.Elapsed.TotalSeconds:0.00} s: the query ran again");
    }

    [Fact]
    public async Task OpenCircuit_EveryQueryFailsAtOnce_WithDatabaseUnavailable()
    {
        await using var source = Source(postgres.DatabaseUrl, "ef-open");
        var counters = new Counters();
        await using var db = Context(source, counters);
        Assert.Equal(1, await db.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\"").SingleAsync(Ct));
        await source.IsolateCircuitAsync();

        var durations = new List<TimeSpan>();
        for (var i = 0; i < 200; i++)
        {
            var watch = Stopwatch.StartNew();
            await Assert.ThrowsAsync<DatabaseUnavailableException>(() => db.Notes.CountAsync(Ct));
            durations.Add(watch.Elapsed);
        }

        var median = durations.Order().ElementAt(durations.Count / 2);
        Assert.True(median < TimeSpan.FromMilliseconds(1), $"median {median.TotalMilliseconds:0.000} ms");
        Assert.Equal(1, counters.Commands);   // nothing reached the server while the circuit was open
        await source.CloseCircuitAsync();
        Assert.Equal(1, await db.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\"").SingleAsync(Ct));
    }

    [Fact]
    public async Task Operations_AreTimedOnceByTheOutermostStrategy_AndNotWhenTheCircuitRefusesThem()
    {
        await using var source = Source(postgres.DatabaseUrl, "ef-timed");
        var timed = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "holdfast.operation.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "holdfast.data_source" && Equals(tag.Value, source.Name))
                {
                    Interlocked.Increment(ref timed);
                }
            }
        });
        listener.Start();
        await using var db = Context(source, new Counters());

        Assert.Equal(1, await db.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\"").SingleAsync(Ct));
        Assert.Equal(1, Volatile.Read(ref timed));
        // A unit of work with two queries inside the application's own strategy call: one operation.
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            await db.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\"").SingleAsync(Ct);
            await db.Database.SqlQueryRaw<int>("SELECT 2 AS \"Value\"").SingleAsync(Ct);
        });
        Assert.Equal(2, Volatile.Read(ref timed));

        // Refused at once by the open circuit: not operations (an outage must not look fast).
        await source.IsolateCircuitAsync();
        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<DatabaseUnavailableException>(() => db.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\"").SingleAsync(Ct));
        }

        Assert.Equal(2, Volatile.Read(ref timed));
    }

    [Fact]
    public async Task RefusedDatabase_OpensTheCircuit_ThenFailsAtOnce()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.Refuse();
        await using var source = Source(postgres.DatabaseUrlVia(proxy.Port), "ef-refused");
        await using var db = Context(source, new Counters());
        var watch = Stopwatch.StartNew();

        var first = await Assert.ThrowsAnyAsync<Exception>(() => db.Notes.CountAsync(Ct));
        var firstTook = watch.Elapsed;
        watch.Restart();
        await Assert.ThrowsAsync<DatabaseUnavailableException>(() => db.Notes.CountAsync(Ct));
        var nextTook = watch.Elapsed;

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"refused: first call failed after {firstTook.TotalMilliseconds:0} ms ({first.GetType().Name}), the next after {nextTook.TotalMilliseconds:0.000} ms");
        Assert.True(first is DatabaseUnavailableException or DatabaseConnectionException, first.ToString());
        // Within the 5 s operation budget plus EF's first query of the process (model, compilation) on a shared 2-core
        // machine; EF's own EnableRetryOnFailure takes about 58 s here.
        Assert.True(firstTook < TimeSpan.FromSeconds(10), $"the first call took {firstTook.TotalSeconds:0.00} s (operation budget 5 s)");
        Assert.True(nextTook < TimeSpan.FromMilliseconds(100), $"the next took {nextTook.TotalMilliseconds:0.0} ms");
        Assert.True(source.Status.IsOpen);
    }

    [Fact]
    public async Task OptionsBuiltOnce_KeepWorking_AfterATransactionPoolerReplacesThePool()
    {
        await using var bouncer = await LocalPgBouncer.CreateAsync(postgres, new LocalPgBouncerOptions { DefaultPoolSize = 2 }, Ct);
        await using var source = Source(bouncer.DatabaseUrl, "ef-pooler");
        var options = new DbContextOptionsBuilder<NotesDb>();
        options.UseHoldfast(source);
        var built = options.Options;   // as AddDbContextFactory or a pooled context keeps them
        var before = source.Inner;

        await using (var db = new NotesDb(built))
        {
            Assert.Equal(1, await db.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\"").SingleAsync(Ct));
        }

        var pooler = await source.DetectPoolerAsync(Ct);
        Assert.True(pooler.Mode == Topology.PoolingMode.Transaction, pooler.Evidence);
        Assert.NotSame(before, source.Inner);
        await Task.Delay(TimeSpan.FromSeconds(6), Ct);   // the replaced pool is disposed 5 s after the swap

        await using (var db = new NotesDb(built))
        {
            Assert.Equal(2, await db.Database.SqlQueryRaw<int>("SELECT 2 AS \"Value\"").SingleAsync(Ct));
        }
    }

    private static HoldfastDataSource Source(string url, string application)
    {
        var builder = new HoldfastDataSourceBuilder(url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + $"application_name=hf-{application}");
        return builder.UseTimeouts(HoldfastTimeouts.For(HoldfastEnvironment.Test, Short))
            .Configure(options =>
            {
                options.Retry.BaseDelay = TimeSpan.FromMilliseconds(50);
                options.Retry.MaxDelay = TimeSpan.FromMilliseconds(400);
                options.AttemptTimeout.FirstAttempt = TimeSpan.FromSeconds(1);
            })
            .Build();
    }

    private static NotesDb Context(HoldfastDataSource source, Counters counters)
    {
        var options = new DbContextOptionsBuilder<NotesDb>();
        options.UseHoldfast(source).AddInterceptors(counters);
        return new NotesDb(options.Options);
    }
}
