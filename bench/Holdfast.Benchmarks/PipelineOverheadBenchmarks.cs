using BenchmarkDotNet.Attributes;
using Holdfast.Resilience;
using Holdfast.Timeouts;
using Npgsql;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Holdfast.Benchmarks;

/// <summary>
/// pipeline-overhead: one call through a plain Polly pipeline with the same four strategies (budget timeout, retry,
/// circuit breaker, attempt timeout) against one call through Holdfast's guard as <c>OpenConnectionAsync</c> runs it
/// (pooled context, adaptive timeout generators, predicates, the open-duration histogram), both around an attempt that
/// succeeds at once, so only the wrappers are measured.
/// </summary>
[MemoryDiagnoser]
public class PipelineOverheadBenchmarks
{
    private static readonly Func<ResilienceContext, int, ValueTask<Outcome<int>>> Attempt =
        static (_, value) => new ValueTask<Outcome<int>>(Outcome.FromResult(value));

    private ResiliencePipeline plain = ResiliencePipeline.Empty;
    private HoldfastDataSource? holdfast;

    [GlobalSetup]
    public void Setup()
    {
        plain = new ResiliencePipelineBuilder()
            .AddTimeout(TimeSpan.FromSeconds(32))
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(e => e.IsTransient),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(250),
                MaxDelay = TimeSpan.FromSeconds(10),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 1.0,
                MinimumThroughput = 5,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = TimeSpan.FromSeconds(60),
                ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(e => e.IsTransient),
            })
            .AddTimeout(TimeSpan.FromSeconds(5))
            .Build();
        holdfast = HoldfastDataSource.Create("postgres://bench@127.0.0.1:1/bench",
            new HoldfastDataSourceOptions { Name = "pipeline-overhead", Timeouts = HoldfastTimeouts.For(HoldfastEnvironment.Development) });
    }

    [GlobalCleanup]
    public void Cleanup() => holdfast?.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    public async ValueTask<int> PlainPolly()
    {
        var context = ResilienceContextPool.Shared.Get(CancellationToken.None);
        try
        {
            var outcome = await plain.ExecuteOutcomeAsync(Attempt, context, 1).ConfigureAwait(false);
            outcome.ThrowIfException();
            return outcome.Result;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    [Benchmark]
    public ValueTask<int> Holdfast() => holdfast!.GuardAsync(PipelineKeys.Open, null, 1, Attempt, CancellationToken.None);
}
