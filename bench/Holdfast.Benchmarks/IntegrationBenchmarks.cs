using BenchmarkDotNet.Attributes;
using Holdfast.Testing;
using Holdfast.Timeouts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Holdfast.Benchmarks;

/// <summary>
/// dapper-overhead and efcore-query-overhead: one call at a time, each with its round trip, so what Holdfast adds is
/// measured with its allocations. Dapper's <c>QuerySingleAsync&lt;int&gt;</c> on a connection from Holdfast as a
/// <see cref="System.Data.Common.DbDataSource"/> against Dapper on a raw data source; an EF Core query by key on a new
/// context through <c>UseHoldfast</c> (Holdfast's execution strategy and connection interceptor) against
/// <c>UseNpgsql</c> with <c>EnableRetryOnFailure</c> on an identical raw pool.
/// </summary>
[MemoryDiagnoser]
public class IntegrationBenchmarks
{
    private LocalPostgres? postgres;
    private NpgsqlDataSource? raw;
    private HoldfastDataSource? guarded;
    private DbContextOptions<BenchDb>? rawOptions;
    private DbContextOptions<BenchDb>? guardedOptions;

    [GlobalSetup]
    public void Setup()
    {
        postgres = LocalPostgres.CreateAsync().GetAwaiter().GetResult();
        var endpoint = DatabaseEndpoint.Parse(postgres.DatabaseUrl);
        raw = endpoint.CreateDataSourceBuilder().Build();
        guarded = new HoldfastDataSourceBuilder(endpoint).UseTimeouts(HoldfastTimeouts.For(HoldfastEnvironment.Development))
            .Configure(o => o.Name = "bench-efcore").Build();
        IntegrationThroughput.CreateItemsAsync(raw).GetAwaiter().GetResult();
        rawOptions = new DbContextOptionsBuilder<BenchDb>().UseNpgsql(raw, npgsql => npgsql.EnableRetryOnFailure()).Options;
        var builder = new DbContextOptionsBuilder<BenchDb>();
        builder.UseHoldfast(guarded);
        guardedOptions = builder.Options;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        guarded?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        raw?.Dispose();
        postgres?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public Task<int> DapperRaw() => IntegrationThroughput.QueryAsync(raw!, CancellationToken.None);

    [Benchmark]
    public Task<int> DapperHoldfast() => IntegrationThroughput.QueryAsync(guarded!, CancellationToken.None);

    [Benchmark]
    public Task<BenchItem> EfCoreRawRetrying() => IntegrationThroughput.FindAsync(rawOptions!, CancellationToken.None);

    [Benchmark]
    public Task<BenchItem> EfCoreHoldfast() => IntegrationThroughput.FindAsync(guardedOptions!, CancellationToken.None);
}
