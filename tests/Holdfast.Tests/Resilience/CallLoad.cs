using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;

namespace Holdfast.Tests.Resilience;

/// <summary>Bounded closed-loop load: N callers running an operation (<c>SELECT 1</c> by default) through <c>ExecuteAsync</c>, each call recorded.</summary>
internal sealed class CallLoad : IAsyncDisposable
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<(TimeSpan Start, TimeSpan End, Exception? Error)> calls = new();
    private readonly CancellationTokenSource stop = new(TimeSpan.FromSeconds(60));
    private Task workers = Task.CompletedTask;

    public TimeSpan Now => clock.Elapsed;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static CallLoad Start(HoldfastDataSource db, int callers, Func<NpgsqlConnection, CancellationToken, ValueTask<int>>? operation = null)
    {
        var load = new CallLoad();
        operation ??= (c, t) => GuardedSources.ScalarAsync(c, "SELECT 1", t);
        load.workers = Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(() => load.RunAsync(db, operation))));
        return load;
    }

    /// <summary>The calls that ended with an error, oldest first.</summary>
    public IReadOnlyList<(TimeSpan Start, TimeSpan End, Exception Error)> Failures =>
        [.. calls.Where(c => c.Error is not null).Select(c => (c.Start, c.End, c.Error!)).OrderBy(c => c.End)];

    /// <summary>How many calls succeeded.</summary>
    public int Successes => calls.Count(c => c.Error is null);

    public async Task WarmAsync()
    {
        await Task.Delay(TimeSpan.FromMilliseconds(700), Ct);
        var errors = calls.Where(c => c.Error is not null).Select(c => $"{c.Error!.GetType().Name} after {(c.End - c.Start).TotalMilliseconds:0} ms: {c.Error.Message}").ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    public async Task<TimeSpan> FirstSuccessAfterAsync(TimeSpan after, TimeSpan within)
    {
        while (Now < after + within)
        {
            if (calls.Where(c => c.Error is null && c.Start >= after).Select(c => (TimeSpan?)c.End).Min() is { } at)
            {
                return at;
            }

            await Task.Delay(20, Ct);
        }

        return Now;
    }

    public async Task StopAsync()
    {
        await stop.CancelAsync();
        await workers.WaitAsync(TimeSpan.FromSeconds(20), Ct);
    }

    public TimeSpan First<T>(TimeSpan after) =>
        calls.Where(c => c.Error is T && c.End >= after).Select(c => c.End).DefaultIfEmpty(TimeSpan.MaxValue).Min();

    public TimeSpan FirstFailure(TimeSpan after) =>
        calls.Where(c => c.Error is not null && c.End >= after).Select(c => c.End).DefaultIfEmpty(TimeSpan.MaxValue).Min();

    public TimeSpan Longest((TimeSpan From, TimeSpan To) during) =>
        calls.Where(c => c.End >= during.From && c.Start <= during.To).Select(c => c.End - c.Start).DefaultIfEmpty().Max();

    public string Summary(TimeSpan origin) => string.Join(", ", calls.Where(c => c.End >= origin)
        .GroupBy(c => c.Error is null ? "ok" : c.Error.GetType().Name + ":" + (c.Error as DatabaseConnectionException)?.Failure.Kind)
        .Select(g => $"{g.Key} x{g.Count()} first {(g.Min(c => c.End) - origin).TotalSeconds:0.000}"));

    public string Describe(TimeSpan duration, TimeSpan origin) => string.Join("; ", calls.Where(c => c.End - c.Start == duration)
        .Select(c => $"from {(c.Start - origin).TotalSeconds:0.000} s to {(c.End - origin).TotalSeconds:0.000} s: {c.Error?.GetType().Name ?? "ok"} {c.Error?.Message}"));

    /// <summary>Anything but a success, a refusal or a transient connection failure: what would be a 500.</summary>
    public IReadOnlyList<Exception> Unexpected() =>
        [.. calls.Select(c => c.Error).OfType<Exception>().Where(e => e is not DatabaseConnectionException { IsTransient: true } and not DatabaseUnavailableException)];

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        // After a failed assertion: still wait for the callers, but let the assertion be what the test reports.
        await Task.WhenAny(workers, Task.Delay(TimeSpan.FromSeconds(20), CancellationToken.None));
        stop.Dispose();
    }

    private async Task RunAsync(HoldfastDataSource db, Func<NpgsqlConnection, CancellationToken, ValueTask<int>> operation)
    {
        while (!stop.IsCancellationRequested)
        {
            var start = Now;
            Exception? error = null;
            try
            {
                await db.ExecuteAsync(operation, CancellationToken.None);
            }
#pragma warning disable CA1031 // Every failure is recorded and judged by the test.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                error = ex;
            }

            calls.Enqueue((start, Now, error));
            if (error is not null)
            {
                // A client backs off a little after an error instead of spinning on a refusal.
                await Task.Delay(20, CancellationToken.None);
            }
        }
    }
}
