using System.Diagnostics.Metrics;
using System.Net.Sockets;
using Holdfast.Resilience;
using Holdfast.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Polly;

namespace Holdfast.Tests.Resilience;

/// <summary>A <see cref="GuardedPipeline"/> on a fake clock, with attempts the test scripts.</summary>
internal sealed class PipelineHarness : IAsyncDisposable
{
    private readonly TestMeterFactory meters = new();

    public PipelineHarness(Action<HoldfastDataSourceOptions>? configure = null, TimeSpan? attemptTimeout = null, TimeSpan? budget = null,
        double jitter = 0.5, Func<CancellationToken, Task>? probe = null)
    {
        Options = new HoldfastDataSourceOptions { TimeProvider = Time };
        Options.Retry.BaseDelay = TimeSpan.FromMilliseconds(100);
        Options.Retry.MaxDelay = TimeSpan.FromSeconds(1);
        Options.Recovery.Enabled = probe is not null;
        configure?.Invoke(Options);
        Instruments = new HoldfastInstruments(meters);
        Guard = new GuardedPipeline(new GuardedPipelineSettings
        {
            Name = "harness",
            Options = Options,
            AttemptTimeout = (_, _) => attemptTimeout ?? TimeSpan.FromSeconds(1),
            Budget = _ => budget ?? TimeSpan.FromSeconds(30),
            RecoveryProbe = probe,
            Jitter = () => jitter,
            Instruments = Instruments,
            Logger = NullLogger.Instance,
        });
    }

    public TimerTrackingClock Time { get; } = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    public HoldfastDataSourceOptions Options { get; }

    public HoldfastInstruments Instruments { get; }

    public GuardedPipeline Guard { get; }

    public Meter Meter => Instruments.Meter;

    public static NpgsqlException Refused() => new("Failed to connect to 10.0.0.5:5432", new SocketException((int)SocketError.ConnectionRefused));

    public static PostgresException WrongPassword() => new("password authentication failed for user \"app\"", "FATAL", "FATAL", "28P01");

    /// <summary>
    /// Runs one call, advancing the fake clock until it completes: in <paramref name="step"/>s when given, otherwise
    /// straight to the next timer due (a backoff, an attempt timeout, a deadline), or 10 ms when none is. Before each step
    /// the thread pool is let go quiet, because the pipeline's timers complete their awaiters asynchronously: advancing
    /// while continuations are still queued would run the clock ahead of the code under test.
    /// </summary>
    public async Task<Run> RunAsync(Func<ResilienceContext, ValueTask<Outcome<int>>> attempt, TimeSpan? step = null, string operation = PipelineKeys.Open)
    {
        var context = Guard.Rent(operation, null, TestContext.Current.CancellationToken);
        var started = Time.GetUtcNow();
        DateTimeOffset? completedAt = null;
        var task = Guard.Pipeline.ExecuteOutcomeAsync(static (ctx, a) => a(ctx), context, attempt).AsTask();
        var completedWithoutWaiting = task.IsCompleted;
        _ = task.ContinueWith(_ => completedAt = Time.GetUtcNow(), TaskContinuationOptions.ExecuteSynchronously);
        for (var i = 0; i < 100_000; i++)
        {
            await SettleAsync();
            if (task.IsCompleted)
            {
                break;
            }

            Time.Advance(step ?? UntilNextTimer(TimeSpan.FromMilliseconds(10)));
        }

        var outcome = await task;
        return new Run(outcome, (completedAt ?? Time.GetUtcNow()) - started, completedWithoutWaiting, context);
    }

    /// <summary>
    /// Waits until the thread pool has no queued work and has (nearly) stopped completing any, for at most about
    /// 200 ms: other work on the machine must never make a test spin forever. Fake-clock tests run in the
    /// <see cref="FakeClockCollection"/>, alone, so that bound is not normally reached.
    /// </summary>
    public static async Task SettleAsync()
    {
        var completed = ThreadPool.CompletedWorkItemCount;
        for (int quiet = 0, round = 0; quiet < 3 && round < 200; round++)
        {
            await Task.Delay(1, TestContext.Current.CancellationToken);
            var now = ThreadPool.CompletedWorkItemCount;
            quiet = ThreadPool.PendingWorkItemCount == 0 && now - completed <= 2 ? quiet + 1 : 0;
            completed = now;
        }
    }

    /// <summary>
    /// Advances the clock by <paramref name="total"/>, letting background work run between steps: in
    /// <paramref name="step"/>s when given, otherwise from timer to timer (at most 50 ms when none is due).
    /// </summary>
    public async Task AdvanceAsync(TimeSpan total, TimeSpan? step = null)
    {
        var end = Time.GetUtcNow() + total;
        while (Time.GetUtcNow() < end)
        {
            await SettleAsync();
            var stride = step ?? UntilNextTimer(TimeSpan.FromMilliseconds(50));
            Time.Advance(stride < end - Time.GetUtcNow() ? stride : end - Time.GetUtcNow());
        }

        await SettleAsync();
    }

    /// <summary>How far the clock can move before the next timer fires (its due time exactly); <paramref name="idle"/> when none is armed.</summary>
    private TimeSpan UntilNextTimer(TimeSpan idle) =>
        Time.NextDue is { } due && due > Time.GetUtcNow() ? due - Time.GetUtcNow() : idle;

    public async ValueTask DisposeAsync()
    {
        await Guard.DisposeAsync();
        meters.Dispose();
    }

    public sealed record Run(Outcome<int> Outcome, TimeSpan Elapsed, bool CompletedWithoutWaiting, ResilienceContext Context);
}
