using BenchmarkDotNet.Attributes;
using Holdfast.AspNetCore.Dashboard;
using Holdfast.Telemetry;
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
    private HoldfastDataSource? recorded;
    private ConnectivityRecorder? recorder;

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
        // The same, with a mapped dashboard's recorder listening to its instruments (its own meter, so only it is timed).
        recorded = new HoldfastDataSourceBuilder(endpoint).UseTimeouts(HoldfastTimeouts.For(HoldfastEnvironment.Development))
            .Configure(o =>
            {
                o.Name = "bench-pooled-dashboard";
                o.Instruments = new HoldfastInstruments(new DashboardMeterFactory());
            }).Build();
        recorder = new ConnectivityRecorder(recorded, TimeProvider.System);
        recorder.Start();
        RawOpen().AsTask().GetAwaiter().GetResult();
        HoldfastOpen().AsTask().GetAwaiter().GetResult();
        HoldfastOpenWithDashboard().AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        guarded?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        recorder?.Dispose();
        recorded?.DisposeAsync().AsTask().GetAwaiter().GetResult();
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
    public async ValueTask HoldfastOpenWithDashboard()
    {
        await using var connection = await recorded!.OpenConnectionAsync().ConfigureAwait(false);
    }

    [Benchmark]
    public ValueTask<int> HoldfastExecuteWithDashboard() => recorded!.ExecuteAsync(static (_, _) => ValueTask.FromResult(1));

    [Benchmark]
    public ValueTask<int> HoldfastExecute() => guarded!.ExecuteAsync(static (_, _) => ValueTask.FromResult(1));
}

/// <summary>A meter factory for one benchmark source: a meter of its own, so the recorder hears only that source.</summary>
internal sealed class DashboardMeterFactory : System.Diagnostics.Metrics.IMeterFactory
{
    private readonly List<System.Diagnostics.Metrics.Meter> meters = [];

    public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options)
    {
        var meter = new System.Diagnostics.Metrics.Meter(options.Name, options.Version, options.Tags, this);
        meters.Add(meter);
        return meter;
    }

    public void Dispose() => meters.ForEach(m => m.Dispose());
}
