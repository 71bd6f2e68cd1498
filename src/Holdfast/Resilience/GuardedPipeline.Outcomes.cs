using System.Diagnostics;
using Holdfast.Telemetry;
using Npgsql;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Holdfast.Resilience;

internal sealed partial class GuardedPipeline
{
    /// <summary>The kind of a failed attempt, and whether it is worth another attempt.</summary>
    public (FailureKind Kind, bool Transient, FailureOperation Operation) Assess(Exception exception) => exception switch
    {
        OperationException { ConnectionBroken: true } broken => ConnectionLevel(broken.Original),
        OperationException { DeadlineExpired: true } => (FailureKind.QueryTimeout, false, FailureOperation.Command),
        // A read-only transaction of the operation's own refusing a write (BEGIN READ ONLY) is its own error, not a failover.
        OperationException { ServerReadOnly: false } own when FailureClassifier.IsReadOnlyRefusal(own.Original) => (FailureKind.Unknown, false, FailureOperation.Command),
        OperationException operation => Classify(operation.Original, FailureOperation.Command),
        TimeoutRejectedException => (FailureKind.Timeout, true, FailureOperation.Connect),
        _ => Classify(exception, FailureOperation.Connect),
    };

    /// <summary>
    /// Turns a failed outcome into what the caller gets: refused at once (open circuit, or the circuit opened while the
    /// call waited), the caller's own operation error unchanged, or a <see cref="DatabaseConnectionException"/> with the
    /// diagnosis. A transient failure that is no longer retried means the budget ran out.
    /// </summary>
    public Exception Surface(Exception exception, ResilienceContext context, CancellationToken callerToken)
    {
        if (callerToken.IsCancellationRequested)
        {
            return exception as OperationCanceledException ?? new OperationCanceledException(callerToken);
        }

        var call = CallState.Of(context);
        // Refused by the gate, or the circuit opened while the call waited for a connection or a retry.
        if (exception is BrokenCircuitException or IsolatedCircuitException || (call.EndedByCircuit && exception is not OperationException))
        {
            return Refuse();
        }

        var (kind, transient, _) = Assess(exception);
        CountEnd(exception, kind, transient, context.OperationKey);
        if (exception is OperationException { ConnectionBroken: false, DeadlineExpired: false } operation && !transient &&
            (!FailureClassifier.IsPreparedStatementClash(operation.Original) || settings.KnownWithoutPooler?.Invoke() == true))
        {
            // The operation's own error, unchanged; a prepared-statement clash (42P05, 26000) unless no pooler was found
            // is the configuration's, and gets its diagnosis.
            return operation.Original;
        }

        return new DatabaseConnectionException(Describe(exception), Math.Max(1, call.Attempts), time.GetElapsedTime(call.Started),
            budgetExhausted: transient, exception is OperationException op ? op.Original : exception);
    }

    /// <summary>
    /// A failed call's end in the metrics: one that ran out of budget retrying (<c>holdfast.budget.exhausted</c>), and one
    /// that got no connection in time (<c>db.client.connection.timeouts</c>: the pool stayed full or no connect answered).
    /// </summary>
    private void CountEnd(Exception exception, FailureKind kind, bool transient, string? operation)
    {
        var instruments = settings.Instruments;
        if (transient)
        {
            instruments.BudgetExhausted.Add(1, new KeyValuePair<string, object?>(HoldfastInstruments.OperationTag, OperationName(operation)), sourceTag);
        }

        if (exception is not OperationException && kind is FailureKind.Timeout or FailureKind.PoolExhausted)
        {
            instruments.ConnectionTimeouts.Add(1, new KeyValuePair<string, object?>(HoldfastInstruments.PoolNameTag, settings.Name));
        }
    }

    private static string OperationName(string? key) => key switch
    {
        PipelineKeys.Open => "open",
        PipelineKeys.Execute => "execute",
        _ => "probe",
    };

    private DatabaseFailure Describe(Exception exception)
    {
        var (kind, _, operation) = Assess(exception);
        return exception switch
        {
            TimeoutRejectedException timeout => FailureClassifier.FromKind(kind, $"no answer within the attempt timeout of {timeout.Timeout.TotalSeconds:0.###} s", settings.Endpoint),
            OperationException { ConnectionBroken: true, Original: TimeoutException } => FailureClassifier.FromKind(kind,
                "the operation's connection stopped answering: no reply at its deadline, not even to the cancellation", settings.Endpoint),
            OperationException { ConnectionBroken: true } broken => FailureClassifier.FromKind(kind,
                $"the connection broke during the operation: {FailureClassifier.Classify(broken.Original, settings.Endpoint).Message}", settings.Endpoint),
            OperationException { DeadlineExpired: true } => FailureClassifier.FromKind(kind,
                "the operation ran past its budget and was cancelled; the database answered the cancellation", settings.Endpoint),
            OperationException op => FailureClassifier.Classify(op.Original, settings.Endpoint, operation),
            _ => FailureClassifier.Classify(exception, settings.Endpoint, operation),
        };
    }

    private (FailureKind Kind, bool Transient, FailureOperation Operation) Classify(Exception exception, FailureOperation operation)
    {
        var kind = FailureClassifier.ClassifyKind(exception, settings.Endpoint, operation);
        var transient = kind == FailureKind.Unknown ? FailureClassifier.IsTransientByNpgsql(exception) : kind.IsTransient();
        return (kind, transient, operation);
    }

    /// <summary>A failure that broke the operation's connection: always transient; a kind that says otherwise is a reset.</summary>
    private (FailureKind Kind, bool Transient, FailureOperation Operation) ConnectionLevel(Exception original)
    {
        var kind = FailureClassifier.ClassifyKind(original, settings.Endpoint, FailureOperation.Connect);
        return (kind.IsTransient() ? kind : FailureKind.Reset, true, FailureOperation.Command);
    }

    /// <summary>
    /// Retry: transient kinds only, while enough budget is left for another attempt. Never an open circuit (fail
    /// fast), a cancellation (the caller's, or the circuit opening) or a permanent kind.
    /// </summary>
    private bool ShouldRetry(Exception? exception, ResilienceContext context)
    {
        if (exception is null or BrokenCircuitException or IsolatedCircuitException or OperationCanceledException)
        {
            return false;
        }

        var call = CallState.Of(context);
        var (kind, transient, _) = Assess(exception);
        if (!transient && kind == FailureKind.AuthenticationFailed && !call.RefreshedCredentials && settings.RefreshCredentials is { } refresh)
        {
            // A token that worked may have expired: ask the provider again and try once more before calling it permanent.
            call.RefreshedCredentials = true;
            return call.Remaining(time) > MinimumAttempt && refresh();
        }

        return transient && call.Remaining(time) > MinimumAttempt;
    }

    /// <summary>
    /// What an attempt's outcome says about the database path. It also keeps the status (the last failure), the failure
    /// counter and the history.
    /// </summary>
    private CircuitVerdict Judge(Exception? exception)
    {
        if (exception is null)
        {
            return CircuitVerdict.Answered;
        }

        // Cancelled by the caller or by the circuit opening: it says nothing about the database.
        if (exception is BrokenCircuitException or IsolatedCircuitException or OperationCanceledException)
        {
            return CircuitVerdict.Neutral;
        }

        if (exception is OperationException { ConnectionBroken: false } own && Assess(own).Kind != FailureKind.Failover)
        {
            // The database answered; the operation failed on its own terms. A read-only server refusing a write (25006)
            // is not the operation's: the path leads to a standby or a demoted primary, a failure like a refused connect.
            return CircuitVerdict.Answered;
        }

        var (kind, transient, operation) = Assess(exception);
        var failure = Describe(exception);
        Volatile.Write(ref lastFailure, failure);
        Interlocked.Exchange(ref lastFailureAtTicks, time.GetUtcNow().UtcTicks);
        settings.Instruments.Failures.Add(1, new KeyValuePair<string, object?>(HoldfastInstruments.FailureKindTag, HoldfastInstruments.KindTag(kind)), sourceTag);
        settings.OnFailure?.Invoke(failure, operation);
        return transient && !EndedByServer(exception) ? CircuitVerdict.Failed
            : kind.IsPermanent() ? CircuitVerdict.Answered
            : CircuitVerdict.Neutral;
    }

    /// <summary>
    /// A session the server ended with a word of its own — an administrator's or a failover's <c>pg_terminate_backend</c>,
    /// a fast shutdown (57P01), an idle timeout (57P05) — under an operation, or during a connect's start-up (a kill that
    /// lands on a backend still signing in): the server answered, so this says nothing yet about the path. It is retried,
    /// and the retry's connect is the evidence: a server going down refuses it, and that counts. Otherwise killing every
    /// backend at once — ten callers failing together, or the reconnects that follow — would open the circuit on a
    /// server that is up.
    /// </summary>
    private static bool EndedByServer(Exception exception) =>
        exception switch
        {
            OperationException { ConnectionBroken: true, Original: PostgresException { SqlState: "57P01" or "57P05" } } => true,
            OperationException => false,
            PostgresException { SqlState: "57P01" } => true,
            _ => false,
        };

    private ValueTask OnRetryAsync(OnRetryArguments<object> args)
    {
        var call = CallState.Of(args.Context);
        call.NextAttempt = args.AttemptNumber + 1;
        if (args.Outcome.Exception is { } exception)
        {
            var (kind, _, _) = Assess(exception);
            settings.Instruments.Retries.Add(1, new KeyValuePair<string, object?>(HoldfastInstruments.FailureKindTag, HoldfastInstruments.KindTag(kind)), sourceTag);
            Log.Retrying(settings.Logger, kind, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);
            if (HoldfastTracing.CurrentCall() is { IsAllDataRequested: true } span)
            {
                span.AddEvent(new ActivityEvent("holdfast.retry", tags: new ActivityTagsCollection
                {
                    ["holdfast.attempt"] = args.AttemptNumber + 1,
                    [HoldfastInstruments.FailureKindTag] = HoldfastInstruments.KindTag(kind),
                    ["holdfast.retry.delay"] = args.RetryDelay.TotalSeconds,
                }));
            }
        }

        return default;
    }

    /// <summary>Drops the pool's idle connections to the failed path; a pool being disposed meanwhile is no concern of the caller's.</summary>
    private void ClearPool()
    {
        try
        {
            settings.OnCircuitOpened?.Invoke();
        }
        catch (ObjectDisposedException)
        {
            // The data source is being disposed.
        }
    }

    private void OnTransition(CircuitTransition transition)
    {
        switch (transition)
        {
            case CircuitTransition.Opened:
                // From now until the pool has refilled, this instance's connects are paced (the recovery probe's, the
                // half-open call's, the health probe's). Before the circuit opens they are not: the callers' own failing
                // attempts are what opens it, and holding them back would keep them waiting on a dead path.
                Pacer?.Engage();
                recovery?.Start();
                settings.Instruments.CircuitOpens.Add(1, sourceTag);
                Log.CircuitOpened(settings.Logger, settings.Name, circuit.ConsecutiveFailures, lastFailure?.Kind ?? FailureKind.Unknown,
                    settings.Options.CircuitBreaker.BreakDuration.TotalSeconds);
                ClearPool();
                break;
            case CircuitTransition.HalfOpened:
                Log.CircuitHalfOpened(settings.Logger, settings.Name);
                break;
            case CircuitTransition.Closed:
                Log.CircuitClosed(settings.Logger, settings.Name);
                break;
            case CircuitTransition.Isolated:
                Log.CircuitIsolated(settings.Logger, settings.Name);
                break;
        }
    }
}
