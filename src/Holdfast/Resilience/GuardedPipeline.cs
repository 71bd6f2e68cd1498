using Holdfast.Faults;
using Holdfast.Telemetry;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Holdfast.Resilience;

/// <summary>
/// The one Polly pipeline every guarded open and execute goes through: retry of transient kinds only → circuit
/// breaker → per-attempt timeout, all inside the call's total budget. Holdfast supplies the PostgreSQL knowledge:
/// what to handle (the failure kind), how long (the adaptive attempt timeout, never more than what is left of the
/// budget) and how long to wait (backoff with jitter, never past the budget). The budget is a deadline the
/// strategies respect rather than an outer timer: an attempt is never cut mid-handshake by it, and the success path
/// arms one timer instead of two. The pipeline also keeps the status and runs the recovery loop.
/// </summary>
internal sealed partial class GuardedPipeline : IAsyncDisposable
{
    /// <summary>Less budget than this left, and no further attempt starts.</summary>
    internal static readonly TimeSpan MinimumAttempt = TimeSpan.FromMilliseconds(50);

    private static readonly TimeSpan SmallestTimeout = TimeSpan.FromMilliseconds(10);

    private readonly GuardedPipelineSettings settings;
    private readonly CircuitBreakerStateProvider breakerState = new();
    private readonly CircuitBreakerManualControl breakerControl = new();
    private readonly TimeProvider time;
    private readonly RecoveryLoop? recovery;
    private readonly KeyValuePair<string, object?> sourceTag;
    private readonly IDisposable circuitGauge;
    private int consecutiveFailures;
    private DatabaseFailure? lastFailure;
    private long lastFailureAtTicks;
    private long openedAtTicks;

    public GuardedPipeline(GuardedPipelineSettings settings)
    {
        this.settings = settings;
        var options = settings.Options;
        time = options.TimeProvider;
        sourceTag = new KeyValuePair<string, object?>(HoldfastInstruments.DataSourceTag, settings.Name);
        var builder = new ResiliencePipelineBuilder { Name = settings.Name, TimeProvider = time };
        options.ConfigurePipeline?.Invoke(builder);
        Pipeline = builder
            .AddRetry(new RetryStrategyOptions
            {
                Name = "retry",
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => new ValueTask<bool>(ShouldRetry(args.Outcome.Exception, args.Context)),
                DelayGenerator = args => new ValueTask<TimeSpan?>(RetryDelay(args.AttemptNumber, CallOf(args.Context))),
                OnRetry = OnRetryAsync,
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                Name = "breaker",
                FailureRatio = 1.0,
                MinimumThroughput = options.CircuitBreaker.FailureThreshold,
                SamplingDuration = options.CircuitBreaker.SamplingDuration,
                BreakDuration = options.CircuitBreaker.BreakDuration,
                ShouldHandle = args => new ValueTask<bool>(Observe(args.Outcome.Exception)),
                StateProvider = breakerState,
                ManualControl = breakerControl,
                OnOpened = OnOpenedAsync,
                OnClosed = _ => OnClosed(),
                OnHalfOpened = _ =>
                {
                    Log.CircuitHalfOpened(settings.Logger, settings.Name);
                    return default;
                },
            })
            .AddTimeout(new TimeoutStrategyOptions
            {
                Name = "attempt",
                TimeoutGenerator = args => new ValueTask<TimeSpan>(AttemptTimeoutOf(args.Context)),
            })
            .Build();

        if (settings.RecoveryProbe is { } probe && options.Recovery.Enabled)
        {
            recovery = new RecoveryLoop(probe, () => settings.AttemptTimeout(PipelineKeys.Probe, 0),
                () => breakerControl.CloseAsync(), () => breakerState.CircuitState == CircuitState.Open, time,
                options.Recovery.InitialDelay, options.CircuitBreaker.BreakDuration, settings.Logger);
        }

        circuitGauge = settings.Instruments.TrackCircuit(settings.Name, () => (int)State);
    }

    public ResiliencePipeline Pipeline { get; }

    public BreakerState State => breakerState.CircuitState switch
    {
        CircuitState.HalfOpen => BreakerState.HalfOpen,
        CircuitState.Open => BreakerState.Open,
        CircuitState.Isolated => BreakerState.Isolated,
        _ => BreakerState.Closed,
    };

    public CircuitStatus Status => new(State, Volatile.Read(ref consecutiveFailures), Volatile.Read(ref lastFailure),
        Ticks(ref lastFailureAtTicks), Ticks(ref openedAtTicks), NextProbeIn());

    /// <summary>Recovery probes run so far.</summary>
    public int RecoveryProbes => recovery?.Probes ?? 0;

    /// <summary>Opens the circuit by hand until <see cref="CloseAsync"/>.</summary>
    public Task IsolateAsync() => breakerControl.IsolateAsync();

    /// <summary>Closes the circuit by hand.</summary>
    public Task CloseAsync() => breakerControl.CloseAsync();

    public async ValueTask DisposeAsync()
    {
        circuitGauge.Dispose();
        if (recovery is not null)
        {
            await recovery.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>How long until the database is next tried: the recovery probe or Polly's half-open call, whichever is first.</summary>
    public TimeSpan? NextProbeIn()
    {
        if (State is not (BreakerState.Open or BreakerState.Isolated))
        {
            return null;
        }

        if (State == BreakerState.Isolated)
        {
            return TimeSpan.MaxValue;
        }

        var now = time.GetUtcNow();
        var halfOpenAt = Ticks(ref openedAtTicks) + settings.Options.CircuitBreaker.BreakDuration;
        var next = recovery?.NextProbeAt is { } probeAt && (halfOpenAt is null || probeAt < halfOpenAt) ? probeAt : halfOpenAt;
        return next is { } at && at > now ? at - now : TimeSpan.Zero;
    }

    /// <summary>A pooled context carrying a pooled call state: its start, and its budget (the operation's default when null).</summary>
    public ResilienceContext Rent(string operation, TimeSpan? budget, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(operation, cancellationToken);
        context.Properties.Set(PipelineKeys.Call, CallState.Rent(time.GetTimestamp(), budget ?? settings.Budget(operation)));
        return context;
    }

    /// <summary>Gives the context and its call state back to their pools.</summary>
    public static void Return(ResilienceContext context)
    {
        if (context.Properties.TryGetValue(PipelineKeys.Call, out var call))
        {
            CallState.Return(call);
        }

        ResilienceContextPool.Shared.Return(context);
    }

    private static CallState CallOf(ResilienceContext context) =>
        context.Properties.TryGetValue(PipelineKeys.Call, out var call)
            ? call
            : throw new InvalidOperationException("Guarded calls run on a context from GuardedPipeline.Rent.");

    /// <summary>
    /// The per-attempt timeout, never more than what is left of the budget; it runs as each attempt starts, so it
    /// also counts the attempts.
    /// </summary>
    private TimeSpan AttemptTimeoutOf(ResilienceContext context)
    {
        var call = CallOf(context);
        var attempt = call.NextAttempt;
        call.Attempts = attempt + 1;
        var timeout = settings.AttemptTimeout(context.OperationKey ?? PipelineKeys.Open, attempt);
        var remaining = call.Remaining(time);
        return remaining < timeout ? (remaining > SmallestTimeout ? remaining : SmallestTimeout) : timeout;
    }

    /// <summary>Backoff with jitter, cut to what is left of the budget; none once the breaker has opened (the next try is refused at once).</summary>
    private TimeSpan RetryDelay(int attempt, CallState call)
    {
        if (breakerState.CircuitState is CircuitState.Open or CircuitState.Isolated)
        {
            return TimeSpan.Zero;
        }

        var delay = Backoff.Delay(attempt, settings.Options.Retry.BaseDelay, settings.Options.Retry.MaxDelay, settings.Jitter());
        var room = call.Remaining(time) - MinimumAttempt;
        return room <= TimeSpan.Zero ? TimeSpan.Zero : delay < room ? delay : room;
    }

    private static DateTimeOffset? Ticks(ref long ticks) =>
        Interlocked.Read(ref ticks) is var value and > 0 ? new DateTimeOffset(value, TimeSpan.Zero) : null;
}
