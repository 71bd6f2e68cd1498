using Holdfast.AspNetCore.Dashboard;
using Holdfast.Telemetry;
using Holdfast.Testing;
using Holdfast.Timeouts;
using Npgsql;

namespace Holdfast.AspNetCore.Tests.Dashboard;

/// <summary>
/// The dashboard's recorder aggregates durations without a lock per call and moves them into its rings per interval:
/// nothing is lost between concurrent callers and concurrent flushes, and every operation of forty callers is in the series.
/// </summary>
public sealed class ConnectivityRecorderTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Accumulator_EightWritersAndAFlusher_LoseNoSampleAndKeepTheMaximum()
    {
        var accumulator = new LatencyAccumulator();
        const int Writers = 8;
        const int PerWriter = 50_000;
        long count = 0, sum = 0, max = 0;
        using var done = new CancellationTokenSource();
        var flusher = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                var (c, s, m) = accumulator.Flush();
                count += c;
                sum += s;
                max = Math.Max(max, m);
            }
        }, Ct);
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (var i = 1; i <= PerWriter; i++)
            {
                accumulator.Add(i % 1000 + w);
            }
        }, Ct)));
        await done.CancelAsync();
        await flusher;
        var (lastCount, lastSum, lastMax) = accumulator.Flush();

        Assert.Equal(Writers * PerWriter, count + lastCount);
        var expectedSum = Enumerable.Range(0, Writers).Sum(w => Enumerable.Range(1, PerWriter).Sum(i => (long)(i % 1000 + w)));
        Assert.Equal(expectedSum, sum + lastSum);
        Assert.Equal(999 + Writers - 1, Math.Max(max, lastMax));
    }

    [Fact]
    public async Task FortyCallers_EveryOperationAndOpen_IsInTheSeries_AfterAFlush()
    {
        using var meters = new TestMeterFactory();
        var builder = new HoldfastDataSourceBuilder(postgres.DatabaseUrl)
            .UseTimeouts(HoldfastTimeouts.For(HoldfastEnvironment.Test, TimeoutProfile.Seconds(10, 2, 3, 2, 1)))
            .Configure(o =>
            {
                o.Name = $"recorder-{Guid.NewGuid():N}"[..17];
                o.Instruments = new HoldfastInstruments(meters);
            });
        // Ten connections for forty callers (the assembly's server is shared): they queue for the pool, so opens wait too.
        builder.Npgsql.ConnectionStringBuilder.MaxPoolSize = 10;
        await using var db = builder.Build();
        using var recorder = new ConnectivityRecorder(db, TimeProvider.System);
        recorder.Start();
        const int Callers = 40;
        const int PerCaller = 25;

        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < PerCaller; i++)
            {
                await db.ExecuteAsync(static async (connection, token) =>
                {
                    await using var command = new NpgsqlCommand("SELECT 1", connection);
                    return await command.ExecuteScalarAsync(token);
                }, Ct);
                await using var opened = await db.OpenConnectionAsync(Ct);
            }
        }, Ct)));
        recorder.Flush();

        var points = recorder.Recent.Points(TimeProvider.System.GetUtcNow());
        Assert.Equal(Callers * PerCaller, points.Sum(p => p.Operation?.Count ?? 0));
        Assert.Equal(Callers * PerCaller, points.Sum(p => p.Open?.Count ?? 0));
        Assert.All(points.Where(p => p.Operation is not null), p => Assert.True(p.Operation!.MaxMs > 0, "an operation with a round trip was recorded as taking no time"));
        Assert.Equal(points.Sum(p => p.Operation?.Count ?? 0), recorder.History.Points(TimeProvider.System.GetUtcNow()).Sum(p => p.Operation?.Count ?? 0));
    }
}
