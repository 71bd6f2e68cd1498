using Holdfast.Resilience;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Holdfast.EntityFrameworkCore.Infrastructure;

/// <summary>
/// EF Core's execution strategy on Holdfast's rules: an operation is retried only for what Holdfast classifies as a
/// transient connection-level failure (refused, reset, timed out while connecting, server starting or shutting down,
/// failover), with Holdfast's backoff, until the operation budget would be exceeded or the circuit opens. A permanent
/// failure (wrong password, missing database), a query timeout and the operation's own errors are not retried, and
/// an open circuit fails at once with <see cref="DatabaseUnavailableException"/>. Exhausting the budget ends in a
/// <see cref="DatabaseConnectionException"/> with the diagnosis, which ASP.NET Core answers with 503.
/// </summary>
internal sealed class HoldfastExecutionStrategy : ExecutionStrategy
{
    private const int MostRetries = 100;
    private static readonly TimeSpan MinimumAttempt = GuardedPipeline.MinimumAttempt;
    private readonly HoldfastDataSource source;
    private readonly TimeProvider time;
    private long started;

    public HoldfastExecutionStrategy(ExecutionStrategyDependencies dependencies, HoldfastDataSource source)
        : base(dependencies, MostRetries, source.Options.Retry.MaxDelay)
    {
        this.source = source;
        time = source.Options.TimeProvider;
    }

    public override async Task<TResult> ExecuteAsync<TState, TResult>(TState state,
        Func<DbContext, TState, CancellationToken, Task<TResult>> operation,
        Func<DbContext, TState, CancellationToken, Task<ExecutionResult<TResult>>>? verifySucceeded,
        CancellationToken cancellationToken = default)
    {
        var timing = StartTiming();
        try
        {
            var result = await base.ExecuteAsync(state, operation, verifySucceeded, cancellationToken).ConfigureAwait(false);
            source.ExternalOperationEnded(timing);
            return result;
        }
        catch (Exception exception)
        {
            var surfaced = Failed(exception, timing);
            if (ReferenceEquals(surfaced, exception))
            {
                throw;
            }

            throw surfaced;
        }
    }

    public override TResult Execute<TState, TResult>(TState state, Func<DbContext, TState, TResult> operation,
        Func<DbContext, TState, ExecutionResult<TResult>>? verifySucceeded)
    {
        var timing = StartTiming();
        try
        {
            var result = base.Execute(state, operation, verifySucceeded);
            source.ExternalOperationEnded(timing);
            return result;
        }
        catch (Exception exception)
        {
            var surfaced = Failed(exception, timing);
            if (ReferenceEquals(surfaced, exception))
            {
                throw;
            }

            throw surfaced;
        }
    }

    /// <summary>Operations are timed once, by the outermost strategy (nested calls run inside it).</summary>
    private long StartTiming() => Current is null ? source.StartExternalOperation() : 0;

    /// <summary>
    /// What the caller gets for <paramref name="exception"/> (the last failure, surfaced, when EF's retries ran out), and
    /// the operation's time recorded unless the open circuit refused it.
    /// </summary>
    private Exception Failed(Exception exception, long timing)
    {
        var surfaced = exception is RetryLimitExceededException { InnerException: { } last } ? Surface(last) : exception;
        source.ExternalOperationEnded(timing, refused: surfaced is DatabaseUnavailableException);
        return surfaced;
    }

    protected override void OnFirstExecution()
    {
        base.OnFirstExecution();
        started = time.GetTimestamp();
    }

    protected override bool ShouldRetryOn(Exception exception)
    {
        if (exception is DatabaseUnavailableException)
        {
            return false;
        }

        var failure = Classify(exception);
        return failure.IsTransient && failure.Kind != FailureKind.QueryTimeout;
    }

    protected override TimeSpan? GetNextDelay(Exception lastException)
    {
        var options = source.Options.Retry;
        var delay = Backoff.Delay(ExceptionsEncountered.Count - 1, options.BaseDelay, options.MaxDelay, Random.Shared.NextDouble());
        // The circuit opened meanwhile: the next attempt would be refused anyway, so stop now.
        if (source.Status.IsOpen || ExceptionsEncountered.Count >= MostRetries)
        {
            return null;
        }

        // Another attempt only when it would still have a useful part of the budget (as the pipeline leaves it).
        return time.GetElapsedTime(started) + delay + MinimumAttempt < source.OperationBudget ? delay : null;
    }

    /// <summary>
    /// What the caller gets when retrying stopped: the circuit's refusal when it opened meanwhile (as every other caller
    /// gets now), else the last failure with its diagnosis.
    /// </summary>
    private Exception Surface(Exception last) => source.Status.IsOpen
        ? source.Refuse()
        : new DatabaseConnectionException(Classify(last), ExceptionsEncountered.Count, time.GetElapsedTime(started), budgetExhausted: true, last);

    private DatabaseFailure Classify(Exception exception) =>
        FailureClassifier.Classify(exception, source.Endpoint, ConnectFailures.Contains(exception) ? FailureOperation.Connect : FailureOperation.Command);
}
