using Npgsql;
using Polly;

namespace Holdfast.Resilience;

public sealed partial class HoldfastDataSource
{
    /// <summary>
    /// Opens a connection within the default budget (the effective pool timeout), retrying transient failures
    /// with adaptive per-attempt timeouts. Dispose the connection with <c>await using</c>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="DatabaseUnavailableException">The circuit is open; nothing was tried.</exception>
    /// <exception cref="DatabaseConnectionException">A permanent failure, pool exhaustion, or the budget ran out.</exception>
    public ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken = default) =>
        OpenCoreAsync(null, cancellationToken);

    /// <summary>Opens a connection within <paramref name="budget"/> (e.g. the initialization budget at start-up).</summary>
    /// <param name="budget">The most the open may take, retries included.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="DatabaseUnavailableException">The circuit is open; nothing was tried.</exception>
    /// <exception cref="DatabaseConnectionException">A permanent failure, pool exhaustion, or the budget ran out.</exception>
    public ValueTask<NpgsqlConnection> OpenConnectionAsync(TimeSpan budget, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(budget, TimeSpan.Zero);
        return OpenCoreAsync(budget, cancellationToken);
    }

    /// <summary>
    /// Runs an idempotent operation on a connection of its own, retrying it as a whole on transient failures.
    /// Never use it for a statement inside a transaction the caller holds: only a whole unit of work may be repeated.
    /// The operation's own errors (a constraint violation, a query timeout) come back unchanged and are not retried.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="operation">The operation; it may run more than once.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    public ValueTask<T> ExecuteAsync<T>(Func<NpgsqlConnection, CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return ExecuteAsync(operation, static (connection, op, token) => op(connection, token), cancellationToken);
    }

    /// <summary>
    /// Runs an idempotent operation with state (no closure allocation) on a connection of its own, retrying it as a
    /// whole on transient failures. See <see cref="ExecuteAsync{T}(Func{NpgsqlConnection, CancellationToken, ValueTask{T}}, CancellationToken)"/>.
    /// </summary>
    /// <typeparam name="TState">The state type.</typeparam>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="state">Passed to <paramref name="operation"/>.</param>
    /// <param name="operation">The operation; it may run more than once.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    public ValueTask<T> ExecuteAsync<TState, T>(TState state, Func<NpgsqlConnection, TState, CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return GuardAsync(PipelineKeys.Execute, null, (this, state, operation), ExecuteAttemptAsync, cancellationToken);
    }

    /// <summary>
    /// Runs attempts through the guard: a pooled context, the pipeline's outcome API (no exception thrown and caught
    /// inside), and one exception for the caller when it failed. Shared by open and execute.
    /// </summary>
    internal async ValueTask<T> GuardAsync<TState, T>(string operation, TimeSpan? budget, TState state,
        Func<ResilienceContext, TState, ValueTask<Outcome<T>>> attempt, CancellationToken cancellationToken)
    {
        var timed = ReferenceEquals(operation, PipelineKeys.Open) && instruments.OpenDuration.Enabled;
        var started = timed ? time.GetTimestamp() : 0;
        var context = guard.Rent(operation, budget, cancellationToken);
        try
        {
            var outcome = await guard.Pipeline.ExecuteOutcomeAsync(attempt, context, state).ConfigureAwait(false);
            if (timed)
            {
                instruments.OpenDuration.Record(time.GetElapsedTime(started).TotalSeconds, sourceTag);
            }

            return outcome.Exception is null
                ? outcome.Result!
                : throw guard.Surface(outcome.Exception, context, cancellationToken);
        }
        finally
        {
            GuardedPipeline.Return(context);
        }
    }

    private ValueTask<NpgsqlConnection> OpenCoreAsync(TimeSpan? budget, CancellationToken cancellationToken) =>
        GuardAsync(PipelineKeys.Open, budget, this, static (context, self) => self.OpenAttemptAsync(context), cancellationToken);

    /// <summary>
    /// One attempt to open. A pooled rental completes synchronously without allocating; a physical connect is
    /// awaited with <c>WaitAsync</c> so the attempt ends at its deadline even when Npgsql cannot be cancelled
    /// (a synchronous DNS lookup), and a connection that arrives after that is disposed, not leaked.
    /// </summary>
    private ValueTask<Outcome<NpgsqlConnection>> OpenAttemptAsync(ResilienceContext context)
    {
        var waitStarts = pool.WaitStarts;
        ValueTask<NpgsqlConnection> pending;
        try
        {
            pending = inner.OpenConnectionAsync(context.CancellationToken);
        }
#pragma warning disable CA1031 // Failures are outcomes here: the pipeline classifies them.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new ValueTask<Outcome<NpgsqlConnection>>(Outcome.FromException<NpgsqlConnection>(ex));
        }

        return pending.IsCompletedSuccessfully
            ? new ValueTask<Outcome<NpgsqlConnection>>(Outcome.FromResult(pending.Result))
            : AwaitOpenAsync(pending.AsTask(), waitStarts, context.CancellationToken);
    }

    private async ValueTask<Outcome<NpgsqlConnection>> AwaitOpenAsync(Task<NpgsqlConnection> task, int waitStarts, CancellationToken cancellationToken)
    {
        try
        {
            return Outcome.FromResult(await task.WaitAsync(cancellationToken).ConfigureAwait(false));
        }
#pragma warning disable CA1031
        catch (Exception ex)
#pragma warning restore CA1031
        {
            AbandonableOpen.DisposeWhenOpened(task);

            return Outcome.FromException<NpgsqlConnection>(ex is OperationCanceledException && pool.WaitStarts != waitStarts
                ? PoolExhausted(ex)
                : ex);
        }
    }

    /// <summary>
    /// The attempt ended while callers queued for a pooled connection: the pool stayed full for the whole attempt.
    /// Reported as Npgsql words it, so it is classified as pool exhaustion and not retried.
    /// </summary>
    private NpgsqlException PoolExhausted(Exception cancelled) => new(
        $"The connection pool has been exhausted: all {maxPoolSize} connections stayed in use " +
        "for the whole attempt. Raise 'Max Pool Size' or find the connections that are not returned.", cancelled);

    private static async ValueTask<Outcome<T>> ExecuteAttemptAsync<TState, T>(
        ResilienceContext context, (HoldfastDataSource Self, TState State, Func<NpgsqlConnection, TState, CancellationToken, ValueTask<T>> Operation) call)
    {
        var opened = await call.Self.OpenAttemptAsync(context).ConfigureAwait(false);
        if (opened.Exception is { } openFailure)
        {
            return Outcome.FromException<T>(openFailure);
        }

        await using var connection = opened.Result!;
        try
        {
            return Outcome.FromResult(await call.Operation(connection, call.State, context.CancellationToken).ConfigureAwait(false));
        }
#pragma warning disable CA1031 // The operation's failure is carried to the pipeline, then rethrown unchanged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return Outcome.FromException<T>(new OperationException(ex));
        }
    }
}
