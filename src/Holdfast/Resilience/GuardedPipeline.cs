using Holdfast.Faults;
using Holdfast.Telemetry;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Holdfast.Resilience;

/// <summary>
/// The one Polly pipeline every guarded open and execute goes through:
/// total budget → retry of transient kinds only → circuit breaker → per-attempt timeout.
/// Holdfast supplies the PostgreSQL knowledge: what to handle (the failure kind), how long (budgets and adaptive
/// attempt timeouts) and how long to wait (backoff with jitter). It also keeps the status and runs the recovery loop.
/// </summary>
internal sealed partial class GuardedPipeline : IAsyncDisposable
{
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
        Pipeline = new ResiliencePipelineBuilder { Name = settings.Name, TimeProvider = time }
            .AddTimeout(new TimeoutStrategyOptions
            {
                Name = "budget",
                TimeoutGenerator = args => new ValueTask<TimeSpan>(BudgetOf(args.Context)),
            })
            .AddRetry(new RetryStrategyOptions
            {
                Name = "retry",
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => new ValueTask<bool>(ShouldRetry(args.Outcome.Exception)),
                // Once the breaker has opened, the next attempt is refused at once: no point sleeping first.
                DelayGenerator = args => new ValueTask<TimeSpan?>(breakerState.CircuitState is CircuitState.Open or CircuitState.Isolated
                    ? TimeSpan.Zero
                    : Backoff.Delay(args.AttemptNumber, options.Retry.BaseDelay, options.Retry.MaxDelay, settings.Jitter())),
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

    private TimeSpan BudgetOf(ResilienceContext context) =>
        context.Properties.TryGetValue(PipelineKeys.Budget, out var budget) ? budget : settings.Budget(context.OperationKey ?? PipelineKeys.Open);

    /// <summary>The per-attempt timeout; runs as each attempt starts, so it also counts attempts after the first.</summary>
    private TimeSpan AttemptTimeoutOf(ResilienceContext context)
    {
        var attempt = context.Properties.TryGetValue(PipelineKeys.Attempt, out var next) ? next : 0;
        if (attempt > 0)
        {
            context.Properties.Set(PipelineKeys.Started, attempt + 1);
        }

        return settings.AttemptTimeout(context.OperationKey ?? PipelineKeys.Open, attempt);
    }

    private static DateTimeOffset? Ticks(ref long ticks) =>
        Interlocked.Read(ref ticks) is var value and > 0 ? new DateTimeOffset(value, TimeSpan.Zero) : null;
}
