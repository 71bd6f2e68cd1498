namespace Holdfast.Resilience;

/// <summary>
/// The circuit's state machine: it opens after <see cref="CircuitBreakerOptions.FailureThreshold"/> consecutive
/// connection-level failures, whatever succeeded before them (Polly v8's breaker only has a failure ratio over a
/// sampling window, where one success in the window keeps it closed while callers wait out their budgets); it stays
/// open for the break duration, then lets one probe call through (half-open) at a time, one per break; a success closes
/// it. It lives beside the Polly pipeline so that the guarded source's fast path can ask it and report to it without
/// entering the pipeline: reading the state is one volatile read, reporting a success one more.
/// <para>
/// <see cref="OpenedToken"/> is cancelled the moment the circuit opens: every wait for a connection and every
/// backoff between attempts that observes it ends then, so no caller keeps waiting against an open circuit.
/// </para>
/// <para>
/// Outcomes arrive late: an attempt that started before the circuit last changed (opened, or let a probe through)
/// cannot speak for the path since then, so its failure is ignored while the circuit is not closed; and while closed, a
/// failure counts only if no attempt succeeded while it was in flight (a burst of slow connects at a cold start is not
/// an outage). Only a manual <see cref="Close"/> ends an isolation.
/// </para>
/// </summary>
internal sealed class CircuitController
{
    private readonly Lock gate = new();
    private readonly TimeProvider time;
    private readonly int threshold;
    private readonly TimeSpan breakDuration;
    private readonly Action<CircuitTransition> onTransition;
    private readonly long millisecond;
    private CancellationTokenSource opened = new();
    private int state;
    private int failures;
    private long changedAtTimestamp;
    private long probeDueTimestamp;
    private long openedAtTicks;
    private long lastSuccessTimestamp;

    /// <param name="threshold">Failures in a row that open it.</param>
    /// <param name="breakDuration">How long it stays open before a call is let through.</param>
    /// <param name="time">The clock.</param>
    /// <param name="onTransition">Told of every change of state.</param>
    public CircuitController(int threshold, TimeSpan breakDuration, TimeProvider time, Action<CircuitTransition> onTransition)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 1);
        this.threshold = threshold;
        this.breakDuration = breakDuration;
        this.time = time;
        this.onTransition = onTransition;
        millisecond = Math.Max(1, time.TimestampFrequency / 1000);
    }

    /// <summary>The state now.</summary>
    public CircuitState State => (CircuitState)Volatile.Read(ref state);

    /// <summary>True while the circuit is closed (one volatile read): calls may go straight to the pool.</summary>
    public bool IsClosed => Volatile.Read(ref state) == (int)CircuitState.Closed;

    /// <summary>Connection-level failures in a row, counted towards opening.</summary>
    public int ConsecutiveFailures => Volatile.Read(ref failures);

    /// <summary>When the circuit last opened; null while it has not.</summary>
    public DateTimeOffset? OpenedAt => Interlocked.Read(ref openedAtTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>How long until a caller may go through as the half-open probe; null unless open or half-open.</summary>
    public TimeSpan? ProbeDueIn => State is CircuitState.Open or CircuitState.HalfOpen
        ? TimeSpan.FromSeconds(Math.Max(0, Interlocked.Read(ref probeDueTimestamp) - time.GetTimestamp()) / (double)time.TimestampFrequency)
        : null;

    /// <summary>True while open or half-open and the next probe is not due yet: a call would be refused without trying.</summary>
    public bool RefusesNow => State switch
    {
        CircuitState.Isolated => true,
        CircuitState.Open or CircuitState.HalfOpen => time.GetTimestamp() < Interlocked.Read(ref probeDueTimestamp),
        _ => false,
    };

    /// <summary>Cancelled when the circuit opens; a fresh token after it closes again.</summary>
    public CancellationToken OpenedToken => Volatile.Read(ref opened).Token;

    /// <summary>
    /// Whether an attempt may start now. Open (or half-open with its probe outstanding for a whole break) and due: the
    /// caller becomes the half-open probe, and the next is due a break later.
    /// </summary>
    /// <param name="probe">True for the call let through to test the database.</param>
    public bool TryEnter(out bool probe)
    {
        probe = false;
        switch (State)
        {
            case CircuitState.Closed:
                return true;
            case CircuitState.Open or CircuitState.HalfOpen when time.GetTimestamp() >= Interlocked.Read(ref probeDueTimestamp):
                lock (gate)
                {
                    if (state is not ((int)CircuitState.Open or (int)CircuitState.HalfOpen) || time.GetTimestamp() < probeDueTimestamp)
                    {
                        return false;
                    }

                    Changed();
                    Volatile.Write(ref state, (int)CircuitState.HalfOpen);
                }

                probe = true;
                onTransition(CircuitTransition.HalfOpened);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// An attempt through the pipeline (a physical connect, a pool wait, an operation) succeeded: as <see cref="OnSuccess()"/>,
    /// and failures of attempts that were already in flight then no longer count — the path was alive while they ran.
    /// </summary>
    /// <param name="timestamp">When it succeeded (<see cref="TimeProvider.GetTimestamp"/>).</param>
    public void OnSuccess(long timestamp)
    {
        Volatile.Write(ref lastSuccessTimestamp, timestamp);
        OnSuccess();
    }

    /// <summary>
    /// An operation of a call that started at <paramref name="callStarted"/> succeeded outside the pipeline: as
    /// <see cref="OnSuccess(long)"/> with the call's start (failures of attempts that began before it no longer count), but
    /// the shared timestamp is written at most once a millisecond, so sixteen callers do not contend for its cache line.
    /// </summary>
    /// <param name="callStarted">When the call started (<see cref="TimeProvider.GetTimestamp"/>).</param>
    public void OnSuccessOfCallStartedAt(long callStarted)
    {
        if (callStarted - Volatile.Read(ref lastSuccessTimestamp) >= millisecond)
        {
            Volatile.Write(ref lastSuccessTimestamp, callStarted);
        }

        OnSuccess();
    }

    /// <summary>The database answered: the failure run ends, and a half-open circuit closes.</summary>
    public void OnSuccess()
    {
        if (Volatile.Read(ref failures) != 0)
        {
            Volatile.Write(ref failures, 0);
        }

        if (Volatile.Read(ref state) == (int)CircuitState.HalfOpen)
        {
            Recover();
        }
    }

    /// <summary>
    /// A connection-level failure of an attempt that started at <paramref name="attemptStarted"/>: one more in the run,
    /// unless it is a late outcome (see the class); the circuit opens at the threshold, and a failed probe reopens it.
    /// </summary>
    /// <param name="attemptStarted">When the failed attempt started (<see cref="TimeProvider.GetTimestamp"/>).</param>
    public void OnFailure(long attemptStarted)
    {
        var current = Volatile.Read(ref state);
        if (current == (int)CircuitState.Closed
                ? attemptStarted < Volatile.Read(ref lastSuccessTimestamp)
                : attemptStarted < Interlocked.Read(ref changedAtTimestamp))
        {
            return;
        }

        var run = Interlocked.Increment(ref failures);
        if (current == (int)CircuitState.HalfOpen || (current == (int)CircuitState.Closed && run >= threshold))
        {
            Open(CircuitState.Open, (CircuitState)current);
        }
    }

    /// <summary>The half-open probe that started at <paramref name="attemptStarted"/> ended without a verdict (cancelled): open again for another.</summary>
    /// <param name="attemptStarted">When the probe started.</param>
    public void OnProbeAbandoned(long attemptStarted)
    {
        if (Volatile.Read(ref state) == (int)CircuitState.HalfOpen && attemptStarted >= Interlocked.Read(ref changedAtTimestamp))
        {
            Open(CircuitState.Open, CircuitState.HalfOpen);
        }
    }

    /// <summary>Opens the circuit by hand until <see cref="Close"/>.</summary>
    public void Isolate() => Open(CircuitState.Isolated, null);

    /// <summary>A recovery probe (or the half-open call) found the database answering: closes an open circuit, never an isolated one.</summary>
    public void Recover() => CloseCore(manual: false);

    /// <summary>Closes the circuit by hand, an isolation included.</summary>
    public void Close() => CloseCore(manual: true);

    private void Open(CircuitState next, CircuitState? from)
    {
        CancellationTokenSource? signal = null;
        lock (gate)
        {
            var current = (CircuitState)state;
            if ((from is { } expected && current != expected) || current == next || current == CircuitState.Isolated)
            {
                return;
            }

            Changed();
            Interlocked.Exchange(ref openedAtTicks, time.GetUtcNow().UtcTicks);
            Volatile.Write(ref state, (int)next);
            if (current == CircuitState.Closed)
            {
                signal = opened;
            }
        }

        // First release every waiter, then tell the world: nothing the listeners do can keep a caller waiting.
        signal?.Cancel();
        onTransition(next == CircuitState.Isolated ? CircuitTransition.Isolated : CircuitTransition.Opened);
    }

    private void CloseCore(bool manual)
    {
        lock (gate)
        {
            if (state == (int)CircuitState.Closed || (!manual && state == (int)CircuitState.Isolated))
            {
                return;
            }

            // The old source stays cancelled for calls that still hold its token; it has no timer, so nothing to dispose.
            opened = new CancellationTokenSource();
            Changed();
            Volatile.Write(ref failures, 0);
            Volatile.Write(ref state, (int)CircuitState.Closed);
        }

        onTransition(CircuitTransition.Closed);
    }

    /// <summary>Marks a change of state (under the lock): outcomes of attempts that started before it are late from now on.</summary>
    private void Changed()
    {
        var now = time.GetTimestamp();
        Interlocked.Exchange(ref changedAtTimestamp, now);
        Interlocked.Exchange(ref probeDueTimestamp, now + (long)(breakDuration.TotalSeconds * time.TimestampFrequency));
    }
}
