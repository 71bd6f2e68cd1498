using Holdfast.Faults;
using Holdfast.Telemetry;
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
        OperationException operation => Classify(operation.Original, FailureOperation.Command),
        TimeoutRejectedException => (FailureKind.Timeout, true, FailureOperation.Connect),
        _ => Classify(exception, FailureOperation.Connect),
    };

    /// <summary>
    /// Turns a failed outcome into what the caller gets: refused at once (open circuit), the caller's own operation
    /// error unchanged, or a <see cref="DatabaseConnectionException"/> with the diagnosis. A transient failure that
    /// is no longer retried means the budget ran out.
    /// </summary>
    public Exception Surface(Exception exception, ResilienceContext context, CancellationToken callerToken)
    {
        if (callerToken.IsCancellationRequested)
        {
            return exception as OperationCanceledException ?? new OperationCanceledException(callerToken);
        }

        if (exception is BrokenCircuitException or IsolatedCircuitException)
        {
            settings.Instruments.Rejections.Add(1, sourceTag);
            return new DatabaseUnavailableException(Status, NextProbeIn() ?? settings.Options.CircuitBreaker.BreakDuration);
        }

        var call = CallOf(context);
        var (_, transient, _) = Assess(exception);
        var original = exception is OperationException operation ? operation.Original : exception;
        if (exception is OperationException && !transient)
        {
            return original;
        }

        return new DatabaseConnectionException(Describe(exception), Math.Max(1, call.Attempts), time.GetElapsedTime(call.Started),
            budgetExhausted: transient, original);
    }

    private DatabaseFailure Describe(Exception exception)
    {
        var (kind, _, operation) = Assess(exception);
        return exception switch
        {
            TimeoutRejectedException timeout => FailureClassifier.FromKind(kind, $"no answer within the attempt timeout of {timeout.Timeout.TotalSeconds:0.###} s", settings.Endpoint),
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

    /// <summary>
    /// Retry: transient kinds only, while enough budget is left for another attempt. Never an open circuit (fail
    /// fast), a caller's cancellation or a permanent kind.
    /// </summary>
    private bool ShouldRetry(Exception? exception, ResilienceContext context) => exception switch
    {
        null or BrokenCircuitException or IsolatedCircuitException or OperationCanceledException => false,
        _ => Assess(exception).Transient && CallOf(context).Remaining(time) > MinimumAttempt,
    };

    /// <summary>
    /// The breaker's predicate sees every attempt's outcome: it keeps the status (failures since the last success,
    /// the last failure) and counts transient infrastructure kinds, and attempts cancelled in flight, against the
    /// circuit. Successes cost one volatile read.
    /// </summary>
    private bool Observe(Exception? exception)
    {
        if (exception is null)
        {
            if (Volatile.Read(ref consecutiveFailures) != 0)
            {
                Volatile.Write(ref consecutiveFailures, 0);
            }

            return false;
        }

        if (exception is BrokenCircuitException or IsolatedCircuitException)
        {
            return false;
        }

        // An attempt the caller cancelled in flight did not succeed. Polly's breaker counts every unhandled outcome as
        // a success, so ignoring it would let callers with request timeouts on a dead path keep the circuit closed
        // forever. It counts against the circuit, but is not recorded as a database failure.
        if (exception is OperationCanceledException)
        {
            Interlocked.Increment(ref consecutiveFailures);
            return true;
        }

        var (kind, _, operation) = Assess(exception);
        var failure = Describe(exception);
        Interlocked.Increment(ref consecutiveFailures);
        Volatile.Write(ref lastFailure, failure);
        Interlocked.Exchange(ref lastFailureAtTicks, time.GetUtcNow().UtcTicks);
        settings.Instruments.Failures.Add(1, new KeyValuePair<string, object?>(HoldfastInstruments.FailureKindTag, HoldfastInstruments.KindTag(kind)), sourceTag);
        settings.OnFailure?.Invoke(failure, operation);
        return kind.IsTransient();
    }

    private ValueTask OnRetryAsync(OnRetryArguments<object> args)
    {
        var call = CallOf(args.Context);
        call.NextAttempt = args.AttemptNumber + 1;
        if (args.Outcome.Exception is { } exception)
        {
            var (kind, _, _) = Assess(exception);
            settings.Instruments.Retries.Add(1, new KeyValuePair<string, object?>(HoldfastInstruments.FailureKindTag, HoldfastInstruments.KindTag(kind)), sourceTag);
            Log.Retrying(settings.Logger, kind, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);
        }

        return default;
    }

    private ValueTask OnOpenedAsync(OnCircuitOpenedArguments<object> args)
    {
        Interlocked.Exchange(ref openedAtTicks, time.GetUtcNow().UtcTicks);
        Log.CircuitOpened(settings.Logger, settings.Name, Volatile.Read(ref consecutiveFailures), lastFailure?.Kind ?? FailureKind.Unknown, args.BreakDuration.TotalSeconds);
        if (!args.IsManual)
        {
            recovery?.Start();
        }

        return default;
    }

    private ValueTask OnClosed()
    {
        Volatile.Write(ref consecutiveFailures, 0);
        Log.CircuitClosed(settings.Logger, settings.Name);
        return default;
    }
}
