using BenchmarkDotNet.Attributes;
using Holdfast.Testing;
using Holdfast.Timeouts;
using Npgsql;

namespace Holdfast.Benchmarks;

/// <summary>
/// pooled-open and execute-overhead: the rental of an idle pooled connection and its return, with no round trip, so
/// only what Holdfast adds to Npgsql is measured. Raw <c>OpenConnectionAsync</c> against Holdfast's fast path (the
/// circuit asked with one volatile read, no Polly), and against <c>ExecuteAsync</c> of an operation that completes at
/// once (the pipeline, the operation's deadline and its cancellation plumbing).
/// </summary>
[MemoryDiagnoser]
public class PooledOpenBenchmarks
{
    private LocalPostgres? postgres;
    private NpgsqlDataSource? raw;
    private HoldfastDataSource? guarded;

    [GlobalSetup]
    public void Setup()
    {
        postgres = LocalPostgres.CreateAsync().GetAwaiter().GetResult();
        var endpoint = DatabaseEndpoint.Parse(postgres.DatabaseUrl);
        var rawBuilder = endpoint.CreateDataSourceBuilder();
        rawBuilder.ConnectionStringBuilder.ApplicationName = "bench-pooled-raw";
        raw = rawBuilder.Build();
        guarded = new HoldfastDataSourceBuilder(endpoint).UseTimeouts(HoldfastTimeouts.For(HoldfastEnvironment.Development))
            .Configure(o => o.Name = "bench-pooled-holdfast").Build();
        RawOpen().AsTask().GetAwaiter().GetResult();
        HoldfastOpen().AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        guarded?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        raw?.Dispose();
        postgres?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public async ValueTask RawOpen()
    {
        await using var connection = await raw!.OpenConnectionAsync().ConfigureAwait(false);
    }

    [Benchmark]
    public async ValueTask HoldfastOpen()
    {
        await using var connection = await guarded!.OpenConnectionAsync().ConfigureAwait(false);
    }

    [Benchmark]
    public ValueTask<int> HoldfastExecute() => guarded!.ExecuteAsync(static (_, _) => ValueTask.FromResult(1));
}
