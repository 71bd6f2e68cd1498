using System.Diagnostics;
using Holdfast.Testing;
using Holdfast.Timeouts;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Holdfast.Benchmarks;

/// <summary>How fast a failure reaches the caller: the cases where Holdfast should be orders of magnitude faster.</summary>
internal static class FailureBenchmarks
{
    /// <summary>
    /// auth-failure-detect: a wrong password. The baseline is the naive pipeline teams write first: a budget timeout
    /// and a retry of every exception with the same backoff, which retries the wrong password until the budget ends.
    /// Holdfast knows 28P01 is permanent and reports it after one attempt.
    /// </summary>
    public static async Task<BenchResult> AuthFailureAsync(LocalPostgres postgres, BenchSettings settings)
    {
        var url = $"postgres://{postgres.Username}:wrong@{postgres.Host}:{postgres.Port}/{postgres.Database}?application_name=bench-auth";
        await using var raw = DatabaseEndpoint.Parse(url).CreateDataSourceBuilder().Build();
        var naive = new ResiliencePipelineBuilder()
            .AddTimeout(settings.NaiveBudget)
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(250),
                MaxDelay = TimeSpan.FromSeconds(10),
            })
            .Build();
        var baseline = await TimeFailureAsync(async () => await naive.ExecuteAsync(async ct =>
        {
            await using var connection = await raw.OpenConnectionAsync(ct);
        }));

        await using var guarded = new HoldfastDataSourceBuilder(url)
            .UseTimeouts(HoldfastTimeouts.For(HoldfastEnvironment.Development, TimeoutProfile.Development with { Pool = settings.NaiveBudget }))
            .Configure(o => o.Name = "bench-auth")
            .Build();
        var samples = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            samples.Add(await TimeFailureAsync(async () =>
            {
                await using var connection = await guarded.OpenConnectionAsync();
            }));
        }

        return BenchResult.Of("auth-failure-detect", baseline, Median(samples), "ms");
    }

    /// <summary>
    /// open-breaker-reject: the database path is blackholed. Raw Npgsql waits out its connect Timeout on every call;
    /// Holdfast, once the circuit has opened, refuses at once. Measured as 64 concurrent callers see it: the p99 of
    /// their refused calls, and how many exceptions each refused call costs (first-chance exceptions in the process over
    /// the calls: 1 is the one the caller catches, so nothing is thrown and caught inside the pipeline).
    /// </summary>
    public static async Task<IReadOnlyList<BenchResult>> OpenBreakerRejectAsync(LocalPostgres postgres, BenchSettings settings)
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.Blackhole();
        var url = $"postgres://{postgres.Username}:{Uri.EscapeDataString(postgres.Password)}@{proxy.Host}:{proxy.Port}/{postgres.Database}";
        var rawBuilder = new NpgsqlConnectionStringBuilder(DatabaseEndpoint.Parse(url).ToConnectionStringBuilder().ConnectionString)
        {
            Timeout = (int)settings.RawConnectTimeout.TotalSeconds,
        };
        await using var raw = NpgsqlDataSource.Create(rawBuilder);
        var rawExceptions = CountExceptions();
        var baseline = await TimeFailureAsync(async () =>
        {
            await using var connection = await raw.OpenConnectionAsync();
        });
        var rawPerCall = rawExceptions.Stop();

        await using var guarded = new HoldfastDataSourceBuilder(url)
            .UseTimeouts(HoldfastTimeouts.For(HoldfastEnvironment.Development, TimeoutProfile.Seconds(10, 1, 2, 2, 1)))
            .Configure(o =>
            {
                o.Name = "bench-breaker";
                o.AttemptTimeout.FirstAttempt = TimeSpan.FromMilliseconds(200);
            })
            .Build();
        while (guarded.Status.State != CircuitState.Open)
        {
            await TimeFailureAsync(async () =>
            {
                await using var connection = await guarded.OpenConnectionAsync();
            });
        }

        var (openP99, openExceptions) = await RejectAsync(() => guarded.OpenConnectionAsync(), settings.Rejections);
        var (executeP99, executeExceptions) = await RejectAsync(() => guarded.ExecuteAsync(static (_, _) => ValueTask.FromResult(1)), settings.Rejections);

        return
        [
            BenchResult.Of("open-breaker-reject-p99", baseline, openP99, "ms"),
            BenchResult.Of("open-breaker-exceptions", rawPerCall, openExceptions, "exceptions/call"),
            BenchResult.Of("execute-breaker-reject-p99", baseline, executeP99, "ms"),
            BenchResult.Of("execute-breaker-exceptions", rawPerCall, executeExceptions, "exceptions/call"),
        ];
    }

    /// <summary>
    /// 64 callers each making their share of <paramref name="calls"/> refused calls: the p99 and the exceptions per call.
    /// The call is awaited right here (no wrapper of its own that would catch and rethrow), so each refusal is thrown once.
    /// </summary>
    private static async Task<(double P99, double ExceptionsPerCall)> RejectAsync<T>(Func<ValueTask<T>> call, int calls)
    {
        const int Callers = 64;
        var perCaller = calls / Callers;
        var latencies = new double[Callers * perCaller];
        var exceptions = CountExceptions();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            for (var i = 0; i < perCaller; i++)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    if (await call() is IAsyncDisposable served)
                    {
                        await served.DisposeAsync();
                    }
                }
                catch (DatabaseUnavailableException)
                {
                }

                latencies[(caller * perCaller) + i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        })));
        var perRejection = exceptions.Stop() / latencies.Length;
        Array.Sort(latencies);
        return (latencies[(int)(latencies.Length * 0.99)], perRejection);
    }

    private static ExceptionCounter CountExceptions() => new();

    /// <summary>Counts first-chance exceptions in the process from its creation to <see cref="Stop"/>.</summary>
    private sealed class ExceptionCounter
    {
        private int count;

        public ExceptionCounter() => AppDomain.CurrentDomain.FirstChanceException += OnException;

        public double Stop()
        {
            AppDomain.CurrentDomain.FirstChanceException -= OnException;
            return Volatile.Read(ref count);
        }

        private void OnException(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e) => Interlocked.Increment(ref count);
    }

    private static async Task<double> TimeFailureAsync(Func<Task> call)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            await call();
            throw new InvalidOperationException("The call was expected to fail.");
        }
        catch (Exception ex) when (ex is NpgsqlException or Polly.Timeout.TimeoutRejectedException)
        {
            return watch.Elapsed.TotalMilliseconds;
        }
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
