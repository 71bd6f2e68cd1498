using Holdfast.Resilience;
using Npgsql;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Holdfast.Tests.Resilience;

/// <summary>The pipeline's state machine on a fake clock: breaker, retries, budgets, recovery.</summary>
[Collection(FakeClockCollection.Name)]
public sealed class GuardedPipelineTests
{
    private static ValueTask<Outcome<int>> Fail(Exception exception) => new(Outcome.FromException<int>(exception));

    private static ValueTask<Outcome<int>> Succeed() => new(Outcome.FromResult(1));

    [Fact]
    public async Task Breaker_FiveTransientFailures_OpensAndRejectsWithoutWaiting()
    {
        await using var harness = new PipelineHarness();
        var attempts = 0;

        var first = await harness.RunAsync(_ => { attempts++; return Fail(PipelineHarness.Refused()); });

        Assert.Equal(5, attempts);
        Assert.IsType<DatabaseUnavailableException>(harness.Guard.Surface(first.Outcome.Exception!, first.Context, CancellationToken.None));
        var status = harness.Guard.Status;
        Assert.Equal(CircuitState.Open, status.State);
        Assert.Equal(5, status.ConsecutiveFailures);
        Assert.Equal(FailureKind.Refused, status.LastFailure?.Kind);
        Assert.Equal(harness.Time.GetUtcNow(), status.OpenedAt);

        var refused = await harness.RunAsync(_ => { attempts++; return Succeed(); });

        Assert.True(refused.CompletedWithoutWaiting);
        Assert.Equal(TimeSpan.Zero, refused.Elapsed);
        Assert.Equal(5, attempts);
        var surfaced = Assert.IsType<DatabaseUnavailableException>(
            harness.Guard.Surface(refused.Outcome.Exception!, refused.Context, CancellationToken.None));
        Assert.Equal(TimeSpan.FromSeconds(60), surfaced.RetryAfter);
        Assert.Contains("Refused", surfaced.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Breaker_AfterTheBreak_HalfOpensAndClosesOnSuccess()
    {
        await using var harness = new PipelineHarness();
        await harness.RunAsync(_ => Fail(PipelineHarness.Refused()));
        harness.Time.Advance(TimeSpan.FromSeconds(59));
        var stillOpen = await harness.RunAsync(_ => Succeed());
        Assert.IsType<BrokenCircuitException>(stillOpen.Outcome.Exception);
        Assert.Equal(TimeSpan.FromSeconds(1), harness.Guard.Status.NextProbeIn);

        harness.Time.Advance(TimeSpan.FromSeconds(1));
        var probes = 0;
        var probe = await harness.RunAsync(_ => { probes++; return Succeed(); });

        Assert.Equal(1, probes);
        Assert.Null(probe.Outcome.Exception);
        Assert.Equal(CircuitState.Closed, harness.Guard.Status.State);
        Assert.Equal(0, harness.Guard.Status.ConsecutiveFailures);
        Assert.Null(harness.Guard.Status.NextProbeIn);
    }

    [Fact]
    public async Task Breaker_FailedHalfOpenProbe_Reopens()
    {
        await using var harness = new PipelineHarness();
        await harness.RunAsync(_ => Fail(PipelineHarness.Refused()));
        harness.Time.Advance(TimeSpan.FromSeconds(60));
        var probes = 0;

        var probe = await harness.RunAsync(_ => { probes++; return Fail(PipelineHarness.Refused()); });

        Assert.Equal(1, probes);
        Assert.IsType<BrokenCircuitException>(probe.Outcome.Exception);
        Assert.Equal(CircuitState.Open, harness.Guard.Status.State);
        var next = await harness.RunAsync(_ => { probes++; return Succeed(); });
        Assert.True(next.CompletedWithoutWaiting);
        Assert.Equal(1, probes);
    }

    [Fact]
    public async Task Breaker_ASuccessBeforeTheFifthFailure_StartsTheCountAgain()
    {
        await using var harness = new PipelineHarness(o => o.CircuitBreaker.FailureThreshold = 5);
        var script = new Queue<bool>([false, false, false, false, true]);

        await harness.RunAsync(_ => script.Dequeue() ? Succeed() : Fail(PipelineHarness.Refused()));
        await harness.RunAsync(_ => script.Count == 0 ? Fail(PipelineHarness.WrongPassword()) : Succeed());

        Assert.Equal(CircuitState.Closed, harness.Guard.Status.State);
    }

    [Fact]
    public async Task Breaker_OpeningEndsACallWaitingInBackoff_AtOnce()
    {
        await using var harness = new PipelineHarness(o =>
        {
            o.CircuitBreaker.FailureThreshold = 2;
            o.Retry.BaseDelay = TimeSpan.FromSeconds(10);
            o.Retry.MaxDelay = TimeSpan.FromSeconds(10);
        });
        var waiting = harness.Guard.Rent(PipelineKeys.Open, null, CancellationToken.None);
        var started = harness.Time.GetUtcNow();
        var call = harness.Guard.Pipeline.ExecuteOutcomeAsync(static (_, _) => Fail(PipelineHarness.Refused()), waiting, 0).AsTask();
        await PipelineHarness.SettleAsync();
        Assert.False(call.IsCompleted, "the first call waits out a backoff of several seconds");

        await harness.RunAsync(_ => Fail(PipelineHarness.Refused()));
        await PipelineHarness.SettleAsync();

        Assert.True(call.IsCompleted, "the circuit opened: the waiting call ends without its backoff");
        Assert.Equal(started, harness.Time.GetUtcNow());
        var surfaced = harness.Guard.Surface((await call).Exception!, waiting, CancellationToken.None);
        Assert.IsType<DatabaseUnavailableException>(surfaced);
        GuardedPipeline.Return(waiting);
    }

    [Fact]
    public async Task Breaker_OperationsOwnErrors_NeverCount_ButBrokenConnectionsDo()
    {
        await using var harness = new PipelineHarness(o => o.CircuitBreaker.FailureThreshold = 3);
        var duplicate = new PostgresException("duplicate key value violates unique constraint", "ERROR", "ERROR", "23505");

        for (var call = 0; call < 10; call++)
        {
            var run = await harness.RunAsync(_ => Fail(new OperationException(duplicate, connectionBroken: false, deadlineExpired: false)), operation: PipelineKeys.Execute);
            Assert.Same(duplicate, harness.Guard.Surface(run.Outcome.Exception!, run.Context, CancellationToken.None));
        }

        Assert.Equal(CircuitState.Closed, harness.Guard.Status.State);
        Assert.Equal(0, harness.Guard.Status.ConsecutiveFailures);
        var attempts = 0;
        var broken = await harness.RunAsync(_ =>
        {
            attempts++;
            return Fail(new OperationException(new NpgsqlException("Exception while reading from stream", new EndOfStreamException()), connectionBroken: true, deadlineExpired: false));
        }, operation: PipelineKeys.Execute);

        Assert.Equal(3, attempts);
        Assert.Equal(CircuitState.Open, harness.Guard.Status.State);
        Assert.Equal(FailureKind.Reset, harness.Guard.Status.LastFailure?.Kind);
        Assert.IsType<DatabaseUnavailableException>(harness.Guard.Surface(broken.Outcome.Exception!, broken.Context, CancellationToken.None));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Breaker_SessionsTheServerEnded_AreRetriedButNeverCounted_TheRefusedConnectAfterThemIs(bool duringConnect)
    {
        await using var harness = new PipelineHarness(o => o.CircuitBreaker.FailureThreshold = 3);
        var terminated = new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01");
        Exception Ended() => duringConnect ? terminated : new OperationException(terminated, connectionBroken: true, deadlineExpired: false);

        // An administrator's kill of every backend: ten sessions end together (a connect still signing in among them).
        var attempts = 0;
        var killed = await harness.RunAsync(_ => ++attempts <= 10 ? Fail(Ended()) : Succeed(), operation: PipelineKeys.Execute);

        Assert.Null(killed.Outcome.Exception);
        Assert.Equal(11, attempts);
        Assert.Equal(CircuitState.Closed, harness.Guard.Status.State);
        Assert.Equal(0, harness.Guard.Status.ConsecutiveFailures);

        // A server going down: the session ends, and the retry's connect is refused; those count.
        var down = await harness.RunAsync(_ => Fail(attempts++ % 2 == 0 ? Ended() : PipelineHarness.Refused()), operation: PipelineKeys.Execute);

        Assert.Equal(CircuitState.Open, harness.Guard.Status.State);
        Assert.Equal(FailureKind.Refused, harness.Guard.Status.LastFailure?.Kind);
        Assert.IsType<DatabaseUnavailableException>(harness.Guard.Surface(down.Outcome.Exception!, down.Context, CancellationToken.None));
    }

    [Fact]
    public async Task OperationPastItsBudget_OnALiveConnection_IsAQueryTimeout_NotRetried_NotCounted()
    {
        await using var harness = new PipelineHarness(o => o.CircuitBreaker.FailureThreshold = 2);
        var attempts = 0;
        var cancelled = new OperationCanceledException("Query was cancelled", new PostgresException("canceling statement due to user request", "ERROR", "ERROR", "57014"));

        var run = await harness.RunAsync(_ => { attempts++; return Fail(new OperationException(cancelled, connectionBroken: false, deadlineExpired: true)); },
            operation: PipelineKeys.Execute);

        Assert.Equal(1, attempts);
        var surfaced = Assert.IsType<DatabaseConnectionException>(harness.Guard.Surface(run.Outcome.Exception!, run.Context, CancellationToken.None));
        Assert.Equal(FailureKind.QueryTimeout, surfaced.Failure.Kind);
        Assert.False(surfaced.IsTransient);
        Assert.Equal(CircuitState.Closed, harness.Guard.Status.State);
    }

    [Fact]
    public async Task OperationWhoseConnectionWentSilent_IsAConnectionTimeout_RetriedAndCounted()
    {
        await using var harness = new PipelineHarness(o => o.CircuitBreaker.FailureThreshold = 100, budget: TimeSpan.FromSeconds(30));
        var attempts = 0;

        var run = await harness.RunAsync(_ => ++attempts < 3
            ? Fail(new OperationException(new TimeoutException("no answer"), connectionBroken: true, deadlineExpired: true))
            : Succeed(), operation: PipelineKeys.Execute);

        Assert.Null(run.Outcome.Exception);
        Assert.Equal(3, attempts);
        Assert.Equal(FailureKind.Timeout, harness.Guard.Status.LastFailure?.Kind);
    }

    [Fact]
    public async Task Retry_PermanentKind_IsTriedOnceAndNeverCountedAgainstTheCircuit()
    {
        await using var harness = new PipelineHarness();
        var attempts = 0;

        for (var call = 0; call < 10; call++)
        {
            var run = await harness.RunAsync(_ => { attempts++; return Fail(PipelineHarness.WrongPassword()); });
            Assert.Equal(TimeSpan.Zero, run.Elapsed);
            var surfaced = Assert.IsType<DatabaseConnectionException>(harness.Guard.Surface(run.Outcome.Exception!, run.Context, CancellationToken.None));
            Assert.Equal(FailureKind.AuthenticationFailed, surfaced.Failure.Kind);
            Assert.Equal(1, surfaced.Attempts);
        }

        Assert.Equal(10, attempts);
        Assert.Equal(CircuitState.Closed, harness.Guard.Status.State);
        Assert.Equal(0, harness.Guard.Status.ConsecutiveFailures);
        Assert.Equal(FailureKind.AuthenticationFailed, harness.Guard.Status.LastFailure?.Kind);
    }

    [Fact]
    public async Task Retry_DelaysFollowTheBackoffSchedule()
    {
        await using var harness = new PipelineHarness(o => o.CircuitBreaker.FailureThreshold = 100, jitter: 0.0);
        var starts = new List<TimeSpan>();
        var origin = harness.Time.GetUtcNow();

        await harness.RunAsync(_ =>
        {
            starts.Add(harness.Time.GetUtcNow() - origin);
            return starts.Count < 6 ? Fail(PipelineHarness.Refused()) : Succeed();
        });

        // Jitter 0 gives the lower bound, half the ceiling: ceilings 100, 200, 400, 800, 1000 (max) ms. The clock moves
        // from timer to timer, so each delay is exact.
        var delays = starts.Zip(starts.Skip(1), (a, b) => b - a).ToList();
        Assert.Equal([50, 100, 200, 400, 500], delays.Select(d => d.TotalMilliseconds));
    }

    [Fact]
    public async Task Budget_IsNeverExceeded_AndSaysWhatFailedLast()
    {
        var budget = TimeSpan.FromSeconds(5);
        await using var harness = new PipelineHarness(o => o.CircuitBreaker.FailureThreshold = 100, attemptTimeout: TimeSpan.FromSeconds(1), budget: budget);
        var attempts = 0;

        var run = await harness.RunAsync(async context =>
        {
            attempts++;
            await Task.Delay(Timeout.InfiniteTimeSpan, harness.Time, context.CancellationToken);
            return Outcome.FromResult(1);
        });

        Assert.IsType<TimeoutRejectedException>(run.Outcome.Exception);
        Assert.InRange(run.Elapsed, budget - TimeSpan.FromMilliseconds(20), budget + TimeSpan.FromMilliseconds(20));
        Assert.InRange(attempts, 3, 5);
        var surfaced = Assert.IsType<DatabaseConnectionException>(harness.Guard.Surface(run.Outcome.Exception!, run.Context, CancellationToken.None));
        Assert.True(surfaced.BudgetExhausted);
        Assert.Equal(FailureKind.Timeout, surfaced.Failure.Kind);
        Assert.Equal(attempts, surfaced.Attempts);
    }

    [Fact]
    public async Task AttemptTimeout_CutsAHangingAttempt_AndTheNextAttemptRuns()
    {
        await using var harness = new PipelineHarness(attemptTimeout: TimeSpan.FromSeconds(2));
        var attempts = 0;

        var run = await harness.RunAsync(async context =>
        {
            if (++attempts == 1)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, harness.Time, context.CancellationToken);
            }

            return Outcome.FromResult(7);
        });

        Assert.Equal(7, run.Outcome.Result);
        Assert.Equal(2, attempts);
        Assert.InRange(run.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2.2));
    }

    [Fact]
    public async Task CallerCancellation_IsReturnedAsCancellation_NotAsAFailure()
    {
        await using var harness = new PipelineHarness();
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        var surfaced = harness.Guard.Surface(new OperationCanceledException(), ResilienceContextPool.Shared.Get(TestContext.Current.CancellationToken), cancel.Token);

        Assert.IsType<OperationCanceledException>(surfaced);
    }

    [Fact]
    public async Task Recovery_ProbesWithBackoff_OneAtATime_AndClosesTheCircuitWhenTheDatabaseAnswers()
    {
        var probeTimes = new List<TimeSpan>();
        var running = 0;
        var maxRunning = 0;
        PipelineHarness? harness = null;
        DateTimeOffset openedAt = default;
        await using (harness = new PipelineHarness(o =>
        {
            o.Recovery.InitialDelay = TimeSpan.FromMilliseconds(500);
            o.Recovery.MaxDelay = TimeSpan.FromSeconds(4);
            o.Recovery.AttemptSpacing = TimeSpan.FromMilliseconds(100);
        }, probe: async _ =>
        {
            maxRunning = Math.Max(maxRunning, Interlocked.Increment(ref running));
            probeTimes.Add(harness!.Time.GetUtcNow() - openedAt);
            await Task.Yield();
            Interlocked.Decrement(ref running);
            if (probeTimes.Count < 4)
            {
                throw PipelineHarness.Refused();
            }
        }))
        {
            await harness.RunAsync(_ => Fail(PipelineHarness.Refused()));
            openedAt = harness.Time.GetUtcNow();
            Assert.Equal(CircuitState.Open, harness.Guard.Status.State);
            await PipelineHarness.SettleAsync();
            // Full jitter above the 100 ms attempt spacing; the harness's jitter is 0.5: 100 + (500 - 100) / 2.
            Assert.Equal(TimeSpan.FromMilliseconds(300), harness.Guard.Status.NextProbeIn);

            var whileRecovering = await harness.RunAsync(_ => Succeed());
            Assert.True(whileRecovering.CompletedWithoutWaiting, "callers never wait on a dead path");

            await harness.AdvanceAsync(TimeSpan.FromSeconds(8));

            Assert.Equal(CircuitState.Closed, harness.Guard.Status.State);
            Assert.Equal(4, probeTimes.Count);
            // Backoff ceilings 500, 1000, 2000, 4000 ms, each wait halfway between the spacing and the ceiling.
            Assert.Equal([300, 850, 1900, 3950], probeTimes.Select(t => Math.Round(t.TotalMilliseconds / 50) * 50));
            Assert.Equal(1, maxRunning);
        }
    }

    [Fact]
    public async Task Recovery_AProbeHangingOnASilentConnection_DoesNotHoldBackTheNext()
    {
        var healed = false;
        var started = 0;
        PipelineHarness? harness = null;
        await using (harness = new PipelineHarness(probe: async token =>
        {
            Interlocked.Increment(ref started);
            if (!Volatile.Read(ref healed))
            {
                // Sent into the silence: no answer ever comes, not even after the heal.
                await Task.Delay(Timeout.InfiniteTimeSpan, harness!.Time, token);
            }
        }, attemptTimeout: TimeSpan.FromSeconds(30)))
        {
            await harness.RunAsync(_ => Fail(PipelineHarness.Refused()));
            await harness.AdvanceAsync(TimeSpan.FromSeconds(3));
            Assert.Equal(CircuitState.Open, harness.Guard.Status.State);
            var hanging = Volatile.Read(ref started);
            // One probe per jittered wait (halfway between the 200 ms spacing and the backoff, at the harness's jitter of 0.5), none ended by the silence.
            Assert.InRange(hanging, 5, 12);

            Volatile.Write(ref healed, true);
            await harness.AdvanceAsync(TimeSpan.FromSeconds(0.6));

            Assert.Equal(CircuitState.Closed, harness.Guard.Status.State);
        }
    }

    [Fact]
    public async Task Recovery_ProbesEveryHalfSecondByDefault_HoweverLongTheBreak()
    {
        var probes = new List<DateTimeOffset>();
        PipelineHarness? harness = null;
        await using (harness = new PipelineHarness(probe: _ =>
        {
            probes.Add(harness!.Time.GetUtcNow());
            throw PipelineHarness.Refused();
        }))
        {
            await harness.RunAsync(_ => Fail(PipelineHarness.Refused()));
            await harness.AdvanceAsync(TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));

            var gaps = probes.Zip(probes.Skip(1), (a, b) => b - a).ToList();
            Assert.True(gaps.Count >= 16, $"{gaps.Count} probes in 10 s");
            Assert.All(gaps, gap => Assert.True(gap <= TimeSpan.FromSeconds(0.6), gap.ToString()));
            Assert.Equal(CircuitState.Open, harness.Guard.Status.State);
        }
    }
}
