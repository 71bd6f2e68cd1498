using Holdfast.Telemetry;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Holdfast.Resilience;

/// <summary>
/// The one Polly pipeline every guarded open and execute goes through: retry of transient kinds only → the circuit
/// gate → per-attempt timeout, all inside the call's total budget. Holdfast supplies the PostgreSQL knowledge:
/// what to handle (the failure kind), how long (the adaptive attempt timeout, never more than what is left of the
/// budget) and how long to wait (backoff with jitter, never past the budget). The budget is a deadline the
/// strategies respect rather than an outer timer: an attempt is never cut mid-handshake by it. The circuit itself is a
/// <see cref="CircuitController"/> beside the pipeline, so a pooled open can ask it and report to it without entering
/// the pipeline at all; every wait inside the pipeline also ends when the circuit opens. The pipeline keeps the status
/// and runs the recovery loop.
/// </summary>
internal sealed partial class GuardedPipeline : IAsyncDisposable
{
    /// <summary>Less budget than this left, and no further attempt starts.</summary>
    internal static readonly TimeSpan MinimumAttempt = TimeSpan.FromMilliseconds(50);

    private static readonly TimeSpan SmallestTimeout = TimeSpan.FromMilliseconds(10);

    private readonly GuardedPipelineSettings settings;
    private readonly CircuitController circuit;
    private readonly TimeProvider time;
    private readonly RecoveryLoop? recovery;
    private readonly KeyValuePair<string, object?> sourceTag;
    private readonly IDisposable circuitGauge;
    private DatabaseFailure? lastFailure;
    private long lastFailureAtTicks;

    public GuardedPipeline(GuardedPipelineSettings settings)
    {
        this.settings = settings;
        var options = settings.Options;
        time = options.TimeProvider;
        sourceTag = new KeyValuePair<string, object?>(HoldfastInstruments.DataSourceTag, settings.Name);
        Pacer = options.Recovery.AttemptSpacing > TimeSpan.Zero ? new ConnectPacer(options.Recovery.AttemptSpacing, settings.PoolSize, time) : null;
        circuit = new CircuitController(options.CircuitBreaker.FailureThreshold, options.CircuitBreaker.BreakDuration, time, OnTransition);
        var builder = new ResiliencePipelineBuilder { Name = settings.Name, TimeProvider = time };
        options.ConfigurePipeline?.Invoke(builder);
        Pipeline = builder
            .AddRetry(new RetryStrategyOptions
            {
                Name = "retry",
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => new ValueTask<bool>(ShouldRetry(args.Outcome.Exception, args.Context)),
                DelayGenerator = args => new ValueTask<TimeSpan?>(RetryDelay(args.AttemptNumber, CallState.Of(args.Context))),
                OnRetry = OnRetryAsync,
            })
            .AddStrategy(_ => new CircuitGateStrategy(circuit, Judge, RetryAfter, time), new CircuitGateStrategy.Options())
            .AddTimeout(new TimeoutStrategyOptions
            {
                Name = "attempt",
                TimeoutGenerator = args => new ValueTask<TimeSpan>(AttemptTimeoutOf(args.Context)),
            })
            .Build();

        if (settings.RecoveryProbe is { } probe && options.Recovery.Enabled)
        {
            recovery = new RecoveryLoop(probe, () => settings.AttemptTimeout(PipelineKeys.Probe, 0),
                () => { circuit.Recover(); return Task.CompletedTask; },
                () => circuit.State is CircuitState.Open or CircuitState.HalfOpen, time,
                new RecoveryLoop.Delays(options.Recovery.InitialDelay, options.Recovery.MaxDelay, options.Recovery.AttemptSpacing, settings.Jitter),
                settings.Logger);
        }

        circuitGauge = settings.Instruments.TrackCircuit(settings.Name, () => (int)State);
    }

    public ResiliencePipeline Pipeline { get; }

    /// <summary>Paces connection attempts while the path fails; null when pacing is off (<see cref="RecoveryOptions.AttemptSpacing"/> zero).</summary>
    public ConnectPacer? Pacer { get; }

    public CircuitState State => circuit.State;

    /// <summary>True while calls may skip the pipeline's gate: the circuit is closed (one volatile read).</summary>
    public bool IsClosed => circuit.IsClosed;

    /// <summary>True when a call would be refused without trying: isolated, or open (or half-open) and no probe due yet.</summary>
    public bool RefusesNow => circuit.RefusesNow;

    public CircuitStatus Status => new(State, circuit.ConsecutiveFailures, Volatile.Read(ref lastFailure),
        Ticks(ref lastFailureAtTicks), circuit.OpenedAt, NextProbeIn());

    /// <summary>Recovery probes run so far.</summary>
    public int RecoveryProbes => recovery?.Probes ?? 0;

    /// <summary>Opens the circuit by hand until <see cref="CloseAsync"/>.</summary>
    public Task IsolateAsync()
    {
        circuit.Isolate();
        return Task.CompletedTask;
    }

    /// <summary>Closes the circuit by hand.</summary>
    public Task CloseAsync()
    {
        circuit.Close();
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        circuitGauge.Dispose();
        if (recovery is not null)
        {
            await recovery.DisposeAsync().ConfigureAwait(false);
        }

        Pacer?.Dispose();
    }

    /// <summary>How long until the database is next tried: the recovery probe or the half-open call, whichever is first.</summary>
    public TimeSpan? NextProbeIn()
    {
        switch (State)
        {
            case CircuitState.Isolated:
                return TimeSpan.MaxValue;
            case CircuitState.Closed:
                return null;
        }

        var now = time.GetUtcNow();
        var halfOpen = circuit.ProbeDueIn;
        var probe = recovery?.NextProbeAt is { } at ? (at > now ? at - now : TimeSpan.Zero) : (TimeSpan?)null;
        return probe is { } p && (halfOpen is null || p < halfOpen) ? p : halfOpen;
    }

    /// <summary>
    /// Whether an open outside the pipeline (an ORM opening the pool's own connections) may start: false while the circuit
    /// refuses; when a half-open probe is due, this open becomes it (<paramref name="probe"/>).
    /// </summary>
    public bool TryEnterExternal(out bool probe) => circuit.TryEnter(out probe);

    /// <summary>An open outside the pipeline ended: judged as an attempt of the pipeline is, and counted by the circuit.</summary>
    public void OnExternalOutcome(Exception? exception, long started, bool probe)
    {
        switch (Judge(exception))
        {
            case CircuitVerdict.Answered:
                // As a pooled rental: it may not have connected at all, so it does not make failures in flight late.
                circuit.OnSuccess();
                break;
            case CircuitVerdict.Failed:
                circuit.OnFailure(started);
                break;
            case CircuitVerdict.Neutral when probe:
                circuit.OnProbeAbandoned(started);
                break;
        }
    }

    /// <summary>A pooled rental succeeded outside the pipeline: the failure run ends (two volatile reads when there was none).</summary>
    public void OnFastSuccess() => circuit.OnSuccess();

    /// <summary>An operation run outside the pipeline (ExecuteAsync's first attempt) succeeded: the database answered.</summary>
    public void OnFastOperationSuccess(long callStarted) => circuit.OnSuccessOfCallStartedAt(callStarted);

    /// <summary>The exception a caller refused by the circuit gets, without anything being tried.</summary>
    public DatabaseUnavailableException Refuse()
    {
        settings.Instruments.Rejections.Add(1, sourceTag);
        return new DatabaseUnavailableException(Status, RetryAfter());
    }

    /// <summary>
    /// A pooled context carrying a pooled call state: its start, its budget (the operation's default when null), the
    /// caller's token and, while the circuit is closed, the circuit's: the context's token ends every wait inside the
    /// pipeline when either fires.
    /// </summary>
    public ResilienceContext Rent(string operation, TimeSpan? budget, CancellationToken cancellationToken,
        Task<Npgsql.NpgsqlConnection>? firstOpen = null, int firstOpenWaitStarts = 0, long started = 0, Exception? replay = null)
    {
        var call = CallState.Rent(started != 0 ? started : time.GetTimestamp(), budget ?? settings.Budget(operation), cancellationToken,
            circuit.IsClosed ? circuit.OpenedToken : CancellationToken.None, firstOpen, firstOpenWaitStarts, replay);
        var context = ResilienceContextPool.Shared.Get(operation, call.Token);
        context.Properties.Set(PipelineKeys.Call, call);
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

    private TimeSpan RetryAfter() => NextProbeIn() ?? settings.Options.CircuitBreaker.BreakDuration;

    /// <summary>
    /// The per-attempt timeout, never more than what is left of the budget; it runs as each attempt starts, so it
    /// also counts the attempts. An execute attempt keeps its own deadlines (connect, then operation), so Polly's
    /// timeout is off for it.
    /// </summary>
    private TimeSpan AttemptTimeoutOf(ResilienceContext context)
    {
        var call = CallState.Of(context);
        var attempt = call.NextAttempt;
        call.Attempts = attempt + 1;
        if (ReferenceEquals(context.OperationKey, PipelineKeys.Execute))
        {
            return Timeout.InfiniteTimeSpan;
        }

        return Cap(settings.AttemptTimeout(context.OperationKey ?? PipelineKeys.Open, attempt), call);
    }

    /// <summary>A timeout cut to what is left of the call's budget (never below a few milliseconds); <see cref="TimeSpan.MaxValue"/> gives what is left.</summary>
    internal TimeSpan Cap(TimeSpan timeout, CallState call)
    {
        var remaining = call.Remaining(time);
        return remaining < timeout ? (remaining > SmallestTimeout ? remaining : SmallestTimeout) : timeout;
    }

    /// <summary>The per-attempt connect timeout of the attempt that runs now.</summary>
    internal TimeSpan ConnectTimeoutOf(ResilienceContext context) =>
        Cap(settings.AttemptTimeout(context.OperationKey ?? PipelineKeys.Open, CallState.Of(context).NextAttempt), CallState.Of(context));

    /// <summary>Backoff with jitter, cut to what is left of the budget; none once the circuit has opened (the next try is refused at once).</summary>
    private TimeSpan RetryDelay(int attempt, CallState call)
    {
        if (!circuit.IsClosed)
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
