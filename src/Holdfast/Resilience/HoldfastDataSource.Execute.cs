using System.Runtime.CompilerServices;
using System.Data;
using Holdfast.Resilience;
using Npgsql;
using Polly;
using Polly.Timeout;

namespace Holdfast;

public sealed partial class HoldfastDataSource
{
    /// <summary>
    /// How long an operation cancelled at its deadline may take to say why: a live server answers the cancellation in
    /// milliseconds (57014, the connection survives); a silent path does not answer at all.
    /// </summary>
    private static readonly TimeSpan CancellationGrace = TimeSpan.FromSeconds(1);

    /// <summary>
    /// One execute attempt, with its own deadlines instead of Polly's attempt timeout: the open phase ends at the
    /// adaptive connect timeout, the caller's cancellation or the circuit opening; the operation phase ends at the end
    /// of the call's budget or the caller's cancellation only — the circuit opening never cancels work already running
    /// on a live connection. An operation that does not end even when cancelled at its deadline is left behind (its
    /// connection is disposed when it ends) and reported as a connection-level timeout.
    /// </summary>
    private static async ValueTask<Outcome<T>> ExecuteAttemptAsync<TState, T>(
        ResilienceContext context, (HoldfastDataSource Self, TState State, Func<NpgsqlConnection, TState, CancellationToken, ValueTask<T>> Operation) call)
    {
        var self = call.Self;
        var calls = CallState.Of(context);
        var connectTimeout = self.guard.ConnectTimeoutOf(context);
        var deadline = OperationDeadline.Rent(self.time);
        try
        {
            deadline.StartConnect(connectTimeout, context.CancellationToken);
            var opened = await self.OpenAttemptAsync(context, deadline.Token).ConfigureAwait(false);
            if (opened.Exception is { } openFailure)
            {
                return Outcome.FromException<T>(openFailure is OperationCanceledException && !context.CancellationToken.IsCancellationRequested
                    ? new TimeoutRejectedException($"No connection within the attempt timeout of {connectTimeout}.", connectTimeout, openFailure)
                    : openFailure);
            }

            var connection = opened.Result!;
            if (!deadline.StartOperation(self.guard.Cap(TimeSpan.MaxValue, calls), calls.CallerToken))
            {
                // The connect deadline, the caller or the circuit fired just as the connection arrived.
                await connection.DisposeAsync().ConfigureAwait(false);
                return Outcome.FromException<T>(context.CancellationToken.IsCancellationRequested
                    ? new OperationCanceledException(context.CancellationToken)
                    : new TimeoutRejectedException($"No connection within the attempt timeout of {connectTimeout}.", connectTimeout));
            }

            return await self.RunOperationAsync(connection, deadline, calls.CallerToken, call.State, call.Operation).ConfigureAwait(false);
        }
        finally
        {
            deadline.Return();
        }
    }

    /// <summary>
    /// The operation phase of an attempt, on <paramref name="connection"/> (disposed when it ends), within
    /// <paramref name="deadline"/>'s operation phase. An operation that completes at once costs no allocation.
    /// </summary>
    private ValueTask<Outcome<T>> RunOperationAsync<TState, T>(NpgsqlConnection connection, OperationDeadline deadline, CancellationToken callerToken,
        TState state, Func<NpgsqlConnection, TState, CancellationToken, ValueTask<T>> operation)
    {
        ValueTask<T> pending;
        try
        {
            pending = operation(connection, state, deadline.OperationToken);
        }
#pragma warning disable CA1031 // The operation's failure is carried to the pipeline, then rethrown unchanged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return FailedAsync<T>(connection, ex, deadline, callerToken);
        }

        if (pending.IsCompletedSuccessfully)
        {
            var result = pending.Result;
            var disposing = connection.DisposeAsync();
            return disposing.IsCompletedSuccessfully ? new ValueTask<Outcome<T>>(Outcome.FromResult(result)) : AfterDisposeAsync(disposing, result);
        }

        deadline.Await();
        return AwaitOperationAsync(connection, pending.AsTask(), deadline, callerToken);
    }

    private static async ValueTask<Outcome<T>> AfterDisposeAsync<T>(ValueTask disposing, T result)
    {
        await disposing.ConfigureAwait(false);
        return Outcome.FromResult(result);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome<T>> AwaitOperationAsync<T>(NpgsqlConnection connection, Task<T> running, OperationDeadline deadline, CancellationToken callerToken)
    {
        try
        {
            var result = await running.WaitAsync(deadline.Token).ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            return Outcome.FromResult(result);
        }
        catch (OperationCanceledException) when (!running.IsCompleted)
        {
            // The deadline passed (or the caller cancelled) and the operation was told to stop: give it a moment to end.
            if (await Task.WhenAny(running, Task.Delay(CancellationGrace, time)).ConfigureAwait(false) != running)
            {
                deadline.Abandon();
                DisposeWhenDone(running, connection);
                return Outcome.FromException<T>(callerToken.IsCancellationRequested
                    ? new OperationCanceledException(callerToken)
                    : new OperationException(new TimeoutException("The operation's connection did not answer, not even the cancellation sent at its deadline."),
                        connectionBroken: true, deadlineExpired: true));
            }
        }
#pragma warning disable CA1031
        catch (Exception) when (running.IsCompleted)
#pragma warning restore CA1031
        {
        }

        try
        {
            var late = await running.ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            return Outcome.FromResult(late);
        }
#pragma warning disable CA1031
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return await FailedAsync<T>(connection, ex, deadline, callerToken).ConfigureAwait(false);
        }
    }

    /// <summary>The operation failed: whether its connection survived decides between its own error and a connection-level failure.</summary>
    private static async ValueTask<Outcome<T>> FailedAsync<T>(NpgsqlConnection connection, Exception exception, OperationDeadline deadline, CancellationToken callerToken)
    {
        var broken = IsBroken(connection);
        var serverReadOnly = !broken && FailureClassifier.IsReadOnlyRefusal(exception) &&
                             await IsServerReadOnlyAsync(connection, callerToken).ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
        var expired = deadline.Token.IsCancellationRequested && !callerToken.IsCancellationRequested;
        return Outcome.FromException<T>(new OperationException(exception, broken, expired, serverReadOnly));
    }

    /// <summary>
    /// Whether the server as a whole refuses writes, from what it reported at connect and since (PostgreSQL 14+ reports
    /// <c>in_hot_standby</c> and <c>default_transaction_read_only</c>); an older server is asked.
    /// </summary>
    private static async ValueTask<bool> IsServerReadOnlyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var parameters = connection.PostgresParameters;
        if (parameters.TryGetValue("in_hot_standby", out var standby) || parameters.ContainsKey("default_transaction_read_only"))
        {
            return standby == "on" || parameters.GetValueOrDefault("default_transaction_read_only") == "on";
        }

        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery() OR current_setting('default_transaction_read_only') = 'on'", connection);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        }
#pragma warning disable CA1031 // Unknown: the refusal stays the operation's own.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    private static bool IsBroken(NpgsqlConnection connection)
    {
        try
        {
            return connection.FullState.HasFlag(ConnectionState.Broken) || connection.FullState == ConnectionState.Closed;
        }
#pragma warning disable CA1031 // Npgsql reports inconsistent states by throwing: the connection is not usable then.
        catch (Exception)
#pragma warning restore CA1031
        {
            return true;
        }
    }

    /// <summary>An operation left behind at its deadline: its connection is disposed when it ends, never while it runs.</summary>
    private static void DisposeWhenDone(Task operation, NpgsqlConnection connection) =>
        _ = operation.ContinueWith(static (task, state) =>
        {
            _ = task.Exception;
            ((NpgsqlConnection)state!).Dispose();
        }, connection, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
