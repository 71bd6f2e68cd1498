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
    public async ValueTask<T> ExecuteAsync<TState, T>(TState state, Func<NpgsqlConnection, TState, CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var started = time.GetTimestamp();
        var context = ResilienceContextPool.Shared.Get(PipelineKeys.Execute, cancellationToken);
        try
        {
            var outcome = await guard.Pipeline.ExecuteOutcomeAsync(ExecuteAttemptAsync, context, (this, state, operation)).ConfigureAwait(false);
            return outcome.Exception is null
                ? outcome.Result!
                : throw guard.Surface(outcome.Exception, context, time.GetElapsedTime(started), cancellationToken);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async ValueTask<NpgsqlConnection> OpenCoreAsync(TimeSpan? budget, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var context = ResilienceContextPool.Shared.Get(PipelineKeys.Open, cancellationToken);
        if (budget is { } value)
        {
            context.Properties.Set(PipelineKeys.Budget, value);
        }

        try
        {
            var outcome = await guard.Pipeline.ExecuteOutcomeAsync(static (ctx, self) => self.OpenAttemptAsync(ctx), context, this).ConfigureAwait(false);
            instruments.OpenDuration.Record(time.GetElapsedTime(started).TotalSeconds, sourceTag);
            return outcome.Exception is null
                ? outcome.Result!
                : throw guard.Surface(outcome.Exception, context, time.GetElapsedTime(started), cancellationToken);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// One attempt to open. A pooled rental completes synchronously without allocating; a physical connect is
    /// awaited with <c>WaitAsync</c> so the attempt ends at its deadline even when Npgsql cannot be cancelled
    /// (a synchronous DNS lookup), and a connection that arrives after that is disposed, not leaked.
    /// </summary>
    private async ValueTask<Outcome<NpgsqlConnection>> OpenAttemptAsync(ResilienceContext context)
    {
        var waitStarts = pool.WaitStarts;
        ValueTask<NpgsqlConnection> pending;
        try
        {
            pending = inner.OpenConnectionAsync(context.CancellationToken);
            if (pending.IsCompletedSuccessfully)
            {
                return Outcome.FromResult(pending.Result);
            }
        }
#pragma warning disable CA1031 // Failures are outcomes here: the pipeline classifies them.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return Outcome.FromException<NpgsqlConnection>(ex);
        }

        var task = pending.AsTask();
        try
        {
            return Outcome.FromResult(await task.WaitAsync(context.CancellationToken).ConfigureAwait(false));
        }
#pragma warning disable CA1031
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (!task.IsCompleted)
            {
                _ = task.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None,
                    TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

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
