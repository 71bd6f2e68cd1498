using System.Runtime.CompilerServices;
using Holdfast.Faults;
using Holdfast.Resilience;
using Holdfast.Telemetry;
using Npgsql;
using Polly;

namespace Holdfast;

public sealed partial class HoldfastDataSource
{
    /// <summary>
    /// Opens a connection within the default budget (the effective pool timeout), retrying transient failures
    /// with adaptive per-attempt timeouts. Dispose the connection with <c>await using</c>. While the circuit is closed,
    /// a rental of an idle pooled connection does not enter the Polly pipeline at all: it costs what Npgsql's own open costs.
    /// </summary>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="DatabaseUnavailableException">The circuit is open, or opened while the call waited; nothing more was tried.</exception>
    /// <exception cref="DatabaseConnectionException">A permanent failure, pool exhaustion, or the budget ran out.</exception>
    public new ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken = default) =>
        OpenCoreAsync(null, cancellationToken);

    /// <summary>Opens a connection within <paramref name="budget"/> (e.g. the initialization budget at start-up).</summary>
    /// <param name="budget">The most the open may take, retries included.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="DatabaseUnavailableException">The circuit is open, or opened while the call waited; nothing more was tried.</exception>
    /// <exception cref="DatabaseConnectionException">A permanent failure, pool exhaustion, or the budget ran out.</exception>
    public ValueTask<NpgsqlConnection> OpenConnectionAsync(TimeSpan budget, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(budget, TimeSpan.Zero);
        return OpenCoreAsync(budget, cancellationToken);
    }

    /// <summary>
    /// Runs an idempotent unit of work on a connection of its own within the operation budget (the environment's
    /// <c>Holdfast:Timeouts:Operation</c>), retrying it as a whole when its connection fails. Never use it for a
    /// statement inside a transaction the caller holds: only a whole unit of work may be repeated. The operation's own
    /// errors (a constraint violation, a syntax error) come back unchanged, are not retried and never count against the
    /// circuit; a connection that breaks under it (an I/O error, a server shutdown, no answer even to the cancellation
    /// at the deadline) is a connection-level failure: retried while budget is left, and counted against the circuit.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="operation">The operation; it may run more than once. Pass its token to every command.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <exception cref="DatabaseUnavailableException">The circuit is open, or opened while the call waited for a connection.</exception>
    /// <exception cref="DatabaseConnectionException">No connection, the connection failed until the budget ran out, or the operation ran past its budget.</exception>
    public ValueTask<T> ExecuteAsync<T>(Func<NpgsqlConnection, CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return ExecuteCoreAsync(operation, static (connection, op, token) => op(connection, token), null, cancellationToken);
    }

    /// <summary>Runs an idempotent unit of work within <paramref name="budget"/> instead of the environment's operation budget.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="operation">The operation; it may run more than once.</param>
    /// <param name="budget">The most the call may take: its connection, the operation and any retries.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    public ValueTask<T> ExecuteAsync<T>(Func<NpgsqlConnection, CancellationToken, ValueTask<T>> operation, TimeSpan budget, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(budget, TimeSpan.Zero);
        return ExecuteCoreAsync(operation, static (connection, op, token) => op(connection, token), budget, cancellationToken);
    }

    /// <summary>
    /// Runs an idempotent operation with state (no closure allocation) on a connection of its own, retrying it as a
    /// whole when its connection fails. See <see cref="ExecuteAsync{T}(Func{NpgsqlConnection, CancellationToken, ValueTask{T}}, CancellationToken)"/>.
    /// </summary>
    /// <typeparam name="TState">The state type.</typeparam>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="state">Passed to <paramref name="operation"/>.</param>
    /// <param name="operation">The operation; it may run more than once.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    public ValueTask<T> ExecuteAsync<TState, T>(TState state, Func<NpgsqlConnection, TState, CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return ExecuteCoreAsync(state, operation, null, cancellationToken);
    }

    /// <summary>Runs an idempotent operation with state within <paramref name="budget"/> instead of the environment's operation budget.</summary>
    /// <typeparam name="TState">The state type.</typeparam>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="state">Passed to <paramref name="operation"/>.</param>
    /// <param name="operation">The operation; it may run more than once.</param>
    /// <param name="budget">The most the call may take: its connection, the operation and any retries.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    public ValueTask<T> ExecuteAsync<TState, T>(TState state, Func<NpgsqlConnection, TState, CancellationToken, ValueTask<T>> operation, TimeSpan budget,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(budget, TimeSpan.Zero);
        return ExecuteCoreAsync(state, operation, budget, cancellationToken);
    }

    /// <summary>
    /// Runs attempts through the guard: a pooled context, the pipeline's outcome API (no exception thrown and caught
    /// inside), and one exception for the caller when it failed. Shared by open and execute.
    /// </summary>
    internal async ValueTask<T> GuardAsync<TState, T>(string operation, TimeSpan? budget, TState state,
        Func<ResilienceContext, TState, ValueTask<Outcome<T>>> attempt, CancellationToken cancellationToken,
        Task<NpgsqlConnection>? firstOpen = null, int firstOpenWaitStarts = 0, long callStarted = 0, Exception? replay = null)
    {
        var duration = ReferenceEquals(operation, PipelineKeys.Open) ? instruments.OpenDuration
            : ReferenceEquals(operation, PipelineKeys.Execute) ? instruments.OperationDuration
            : null;
        var timed = duration is { Enabled: true };
        var durationTag = ReferenceEquals(operation, PipelineKeys.Open) ? poolTag : sourceTag;
        var started = callStarted != 0 ? callStarted : timed ? time.GetTimestamp() : 0;
        var context = guard.Rent(operation, budget, cancellationToken, firstOpen, firstOpenWaitStarts, callStarted, replay);
        try
        {
            var outcome = await guard.Pipeline.ExecuteOutcomeAsync(attempt, context, state).ConfigureAwait(false);
            if (timed)
            {
                duration!.Record(time.GetElapsedTime(started).TotalSeconds, durationTag);
            }

            if (outcome.Exception is not null)
            {
                throw guard.Surface(outcome.Exception, context, cancellationToken);
            }

            OnOpened();
            return outcome.Result!;
        }
        finally
        {
            GuardedPipeline.Return(context);
        }
    }

    /// <summary>
    /// The fast path: while the circuit is closed, ask Npgsql's pool directly; an idle connection comes back
    /// synchronously and the success is reported to the circuit with two volatile reads, no Polly, no timer, no
    /// allocation. Anything else (a physical connect, a pool wait, a failure) continues in the pipeline, whose first
    /// attempt finishes the open already started. An open circuit refuses at once, without entering the pipeline.
    /// </summary>
    private ValueTask<NpgsqlConnection> OpenCoreAsync(TimeSpan? budget, CancellationToken cancellationToken) =>
        HoldfastTracing.Source.HasListeners()
            ? TracedAsync(PipelineKeys.Open, (Self: this, budget, cancellationToken), static s => s.Self.OpenUntracedAsync(s.budget, s.cancellationToken))
            : OpenUntracedAsync(budget, cancellationToken);

    private ValueTask<NpgsqlConnection> OpenUntracedAsync(TimeSpan? budget, CancellationToken cancellationToken)
    {
        if (!guard.IsClosed)
        {
            return guard.RefusesNow
                ? ValueTask.FromException<NpgsqlConnection>(guard.Refuse())
                : GuardAsync(PipelineKeys.Open, budget, this, static (context, self) => self.OpenAttemptAsync(context, context.CancellationToken), cancellationToken);
        }

        var waitStarts = pool.WaitStarts;
        var pending = StartOpen(cancellationToken);
        if (!pending.IsCompletedSuccessfully)
        {
            return GuardAsync(PipelineKeys.Open, budget, this, static (context, self) => self.OpenAttemptAsync(context, context.CancellationToken),
                cancellationToken, pending.AsTask(), waitStarts);
        }

        guard.OnFastSuccess();
        if (instruments.OpenDuration.Enabled)
        {
            // An idle pooled connection handed over at once: the caller waited well under a microsecond, and two clock
            // reads would cost more than the rental itself (~35 ns each on a VM). Counted as an open that did not wait.
            instruments.OpenDuration.Record(0, poolTag);
        }

        return pending;
    }

    /// <summary>
    /// The fast path of a unit of work: while the circuit is closed and a pooled connection is idle, its first attempt runs
    /// outside the Polly pipeline, under a pooled deadline — no context, no strategies, no allocation of Holdfast's own
    /// when the operation succeeds. A failure is judged here (as the pipeline's gate would) and handed to the pipeline as
    /// its first outcome, so retries, backoff and the diagnosis follow the pipeline's rules within the same budget.
    /// Anything else (an open circuit, a physical connect, a pool wait, paced connects) goes through the pipeline whole.
    /// </summary>
    private ValueTask<T> ExecuteCoreAsync<TState, T>(TState state, Func<NpgsqlConnection, TState, CancellationToken, ValueTask<T>> operation,
        TimeSpan? budget, CancellationToken cancellationToken) =>
        HoldfastTracing.Source.HasListeners()
            ? TracedAsync(PipelineKeys.Execute, (Self: this, state, operation, budget, cancellationToken),
                static s => s.Self.ExecuteUntracedAsync(s.state, s.operation, s.budget, s.cancellationToken))
            : ExecuteUntracedAsync(state, operation, budget, cancellationToken);

    private ValueTask<T> ExecuteUntracedAsync<TState, T>(TState state, Func<NpgsqlConnection, TState, CancellationToken, ValueTask<T>> operation,
        TimeSpan? budget, CancellationToken cancellationToken)
    {
        if (!guard.IsClosed || guard.Pacer is { IsEngaged: true })
        {
            return guard.RefusesNow
                ? ValueTask.FromException<T>(guard.Refuse())
                : GuardAsync(PipelineKeys.Execute, budget, (this, state, operation), ExecuteAttemptAsync, cancellationToken);
        }

        var started = time.GetTimestamp();
        var waitStarts = pool.WaitStarts;
        var pending = StartOpen(cancellationToken);
        if (!pending.IsCompletedSuccessfully)
        {
            return GuardAsync(PipelineKeys.Execute, budget, (this, state, operation), ExecuteAttemptAsync, cancellationToken, pending.AsTask(), waitStarts, started);
        }

        var deadline = OperationDeadline.Rent(time);
        // The connection came at once: the whole budget is left.
        deadline.StartOperation(budget ?? OperationBudget, cancellationToken);
        var run = RunOperationAsync(pending.Result, deadline, cancellationToken, state, operation);
        return run.IsCompletedSuccessfully
            ? EndFirstAttempt(run.Result, deadline, started, budget, state, operation, cancellationToken)
            : AwaitFirstAttemptAsync(run, deadline, started, budget, state, operation, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<T> AwaitFirstAttemptAsync<TState, T>(ValueTask<Outcome<T>> run, OperationDeadline deadline, long started, TimeSpan? budget,
        TState state, Func<NpgsqlConnection, TState, CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        var outcome = await run.ConfigureAwait(false);
        return await EndFirstAttempt(outcome, deadline, started, budget, state, operation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The fast path's first attempt ended: a success is reported to the circuit and timed; a failure is judged and goes on in the pipeline.</summary>
    private ValueTask<T> EndFirstAttempt<TState, T>(Outcome<T> outcome, OperationDeadline deadline, long started, TimeSpan? budget,
        TState state, Func<NpgsqlConnection, TState, CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        deadline.Return();
        if (outcome.Exception is not { } failure)
        {
            guard.OnFastOperationSuccess(started);
            if (instruments.OperationDuration.Enabled)
            {
                instruments.OperationDuration.Record(time.GetElapsedTime(started).TotalSeconds, sourceTag);
            }

            return new ValueTask<T>(outcome.Result!);
        }

        guard.OnExternalOutcome(failure, started, probe: false);
        return GuardAsync(PipelineKeys.Execute, budget, (this, state, operation), ExecuteAttemptAsync, cancellationToken, callStarted: started, replay: failure);
    }

    /// <summary>
    /// One attempt to open, ending when <paramref name="cancellationToken"/> fires. A pooled rental completes
    /// synchronously without allocating; a physical connect or pool wait is awaited with <c>WaitAsync</c> so the attempt
    /// ends at its deadline (or when the circuit opens) even when Npgsql cannot be cancelled (a synchronous DNS lookup, a
    /// silent path during start-up), and a connection that arrives after that is disposed, not leaked.
    /// </summary>
    private ValueTask<Outcome<NpgsqlConnection>> OpenAttemptAsync(ResilienceContext context, CancellationToken cancellationToken)
    {
        if (!CallState.Of(context).TakeFirstOpen(out var task, out var waitStarts))
        {
            waitStarts = pool.WaitStarts;
            var pending = StartOpen(cancellationToken);
            if (pending.IsCompletedSuccessfully)
            {
                return new ValueTask<Outcome<NpgsqlConnection>>(Outcome.FromResult(pending.Result));
            }

            task = pending.AsTask();
        }

        return AwaitOpenAsync(task, waitStarts, cancellationToken);
    }

    /// <summary>Npgsql's open; one that throws before it is under way comes back as a faulted open, for the pipeline to classify.</summary>
    private ValueTask<NpgsqlConnection> StartOpen(CancellationToken cancellationToken)
    {
        if (guard.Pacer is { IsEngaged: true } pacer)
        {
            return PacedOpenAsync(pacer, cancellationToken);
        }

        try
        {
            var pending = inner.OpenConnectionAsync(cancellationToken);
            return pending.IsCompletedSuccessfully && options.DiscardEndedConnections && StaleConnections.IsEnded(pending.Result, time)
                ? ReplaceEndedAsync(pending.Result, cancellationToken)
                : pending;
        }
#pragma warning disable CA1031 // Failures are outcomes here: the pipeline classifies them.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return ValueTask.FromException<NpgsqlConnection>(ex);
        }
    }

    /// <summary>An open while the path has been failing: it starts when the pacer lets it, and tells the pacer how it went.</summary>
    private async ValueTask<NpgsqlConnection> PacedOpenAsync(ConnectPacer pacer, CancellationToken cancellationToken)
    {
        var lease = await pacer.EnterAsync(cancellationToken).ConfigureAwait(false);
        var opened = false;
        try
        {
            var connection = await inner.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            opened = true;
            return options.DiscardEndedConnections && StaleConnections.IsEnded(connection, time)
                ? await ReplaceEndedAsync(connection, cancellationToken).ConfigureAwait(false)
                : connection;
        }
        finally
        {
            lease.Release(opened);
        }
    }

    private async ValueTask<Outcome<NpgsqlConnection>> AwaitOpenAsync(Task<NpgsqlConnection> task, int waitStarts, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref waitingForConnection);
        try
        {
            var connection = await task.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!options.DiscardEndedConnections || !StaleConnections.IsEnded(connection, time))
            {
                return Outcome.FromResult(connection);
            }

            // A pool wait can be answered with a connection another caller returned: one the server ended since is replaced,
            // within this attempt's deadline like any open.
            task = ReplaceEndedAsync(connection, cancellationToken).AsTask();
            return Outcome.FromResult(await task.WaitAsync(cancellationToken).ConfigureAwait(false));
        }
#pragma warning disable CA1031
        catch (Exception ex)
#pragma warning restore CA1031
        {
            AbandonableOpen.DisposeWhenOpened(task);
            if (TlsFailures.IsUnexplainedRejection(ex))
            {
                // Npgsql says only that the certificate was refused: a handshake of Holdfast's own says why.
                return Outcome.FromException<NpgsqlConnection>(await tlsExplainer.ExplainAsync(ex, cancellationToken).ConfigureAwait(false));
            }

            return Outcome.FromException<NpgsqlConnection>(ex is OperationCanceledException && pool.WaitStarts != waitStarts
                ? PoolExhausted(ex)
                : ex);
        }
        finally
        {
            Interlocked.Decrement(ref waitingForConnection);
        }
    }

    /// <summary>
    /// Discards a rented connection the server already ended, and rents again until the pool gives one it did not: after
    /// a restart or an administrator's kill every idle connection may be ended, so at most the pool's size of them.
    /// </summary>
    private async ValueTask<NpgsqlConnection> ReplaceEndedAsync(NpgsqlConnection ended, CancellationToken cancellationToken)
    {
        for (var discarded = 1; ; discarded++)
        {
            StaleConnections.Discard(ended);
            instruments.EndedConnections.Add(1, sourceTag);
            var next = await inner.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            if (discarded > maxPoolSize || !StaleConnections.IsEnded(next, time))
            {
                return next;
            }

            ended = next;
        }
    }

    /// <summary>
    /// The attempt ended while callers queued for a pooled connection: the pool stayed full for the whole attempt.
    /// Reported as Npgsql words it, so it is classified as pool exhaustion and not retried.
    /// </summary>
    private NpgsqlException PoolExhausted(Exception cancelled) => new(
        $"The connection pool has been exhausted: all {maxPoolSize} connections stayed in use " +
        "for the whole attempt. Raise 'Max Pool Size' or find the connections that are not returned.", cancelled);
}
