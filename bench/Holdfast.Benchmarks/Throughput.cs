using System.Diagnostics;
using Npgsql;

namespace Holdfast.Benchmarks;

/// <summary>
/// select1-throughput: open + <c>SELECT 1</c> + dispose, as many as possible with N workers, raw Npgsql against
/// Holdfast's guarded open on identical pools. The time is cut into short slices run in ABBA order (raw, Holdfast,
/// Holdfast, raw, ...), so drift on a small shared machine (PostgreSQL runs on the same cores) hits both sides alike;
/// each side's rate is its operations over its time.
/// </summary>
internal static class Throughput
{
    public static Task<BenchResult> MeasureAsync(string name, int concurrency, NpgsqlDataSource raw, HoldfastDataSource guarded, BenchSettings settings) =>
        CompareAsync(name, concurrency, RawOp(raw), async ct =>
        {
            await using var connection = await guarded.OpenConnectionAsync(ct);
            await SelectOneAsync(connection, ct);
        }, settings);

    /// <summary>select1-execute: the same <c>SELECT 1</c> as a unit of work through <c>ExecuteAsync</c> (budget, deadline, retry on a broken connection).</summary>
    public static Task<BenchResult> MeasureExecuteAsync(string name, int concurrency, NpgsqlDataSource raw, HoldfastDataSource guarded, BenchSettings settings) =>
        CompareAsync(name, concurrency, RawOp(raw), async ct =>
            await guarded.ExecuteAsync(static async (connection, token) =>
            {
                await SelectOneAsync(connection, token);
                return 1;
            }, ct), settings);

    private static Func<CancellationToken, Task> RawOp(NpgsqlDataSource raw) => async ct =>
    {
        await using var connection = await raw.OpenConnectionAsync(ct);
        await SelectOneAsync(connection, ct);
    };

    /// <summary>Both operations with N workers in alternating short slices; the ratio is Holdfast's rate over the baseline's.</summary>
    public static async Task<BenchResult> CompareAsync(string name, int concurrency, Func<CancellationToken, Task> rawOp, Func<CancellationToken, Task> guardedOp,
        BenchSettings settings)
    {
        await RunAsync(rawOp, concurrency, TimeSpan.FromSeconds(1));
        await RunAsync(guardedOp, concurrency, TimeSpan.FromSeconds(1));
        var slice = TimeSpan.FromMilliseconds(250);
        var pairs = (int)Math.Max(2, settings.ThroughputDuration * settings.ThroughputRounds / slice);
        double rawOps = 0, rawSeconds = 0, guardedOps = 0, guardedSeconds = 0;
        for (var pair = 0; pair < pairs; pair++)
        {
            foreach (var guardedFirst in pair % 2 == 0 ? new[] { false, true } : [true, false])
            {
                var (ops, seconds) = await CountAsync(guardedFirst ? guardedOp : rawOp, concurrency, slice);
                if (guardedFirst)
                {
                    guardedOps += ops;
                    guardedSeconds += seconds;
                }
                else
                {
                    rawOps += ops;
                    rawSeconds += seconds;
                }
            }
        }

        return BenchResult.Of(name, rawOps / rawSeconds, guardedOps / guardedSeconds, "ops/s");
    }

    private static async Task<double> RunAsync(Func<CancellationToken, Task> operation, int concurrency, TimeSpan duration)
    {
        var (ops, seconds) = await CountAsync(operation, concurrency, duration);
        return ops / seconds;
    }

    private static async Task<(long Ops, double Seconds)> CountAsync(Func<CancellationToken, Task> operation, int concurrency, TimeSpan duration)
    {
        using var stop = new CancellationTokenSource(duration);
        long count = 0;
        var watch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await operation(CancellationToken.None);
                Interlocked.Increment(ref count);
            }
        }));
        await Task.WhenAll(workers);
        return (count, watch.Elapsed.TotalSeconds);
    }

    private static async Task SelectOneAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync(cancellationToken);
    }
}
