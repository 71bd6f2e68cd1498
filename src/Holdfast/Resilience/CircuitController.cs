namespace Holdfast.Resilience;

/// <summary>
/// The circuit's state machine: it opens after <see cref="BreakerOptions.FailureThreshold"/> consecutive
/// connection-level failures, whatever succeeded before them (Polly v8's breaker only has a failure ratio over a
/// sampling window, where one success in the window keeps it closed while callers wait out their budgets); it stays
/// open for the break duration, then lets one probe call through (half-open); a success closes it. It lives beside the
/// Polly pipeline so that the guarded source's fast path can ask it and report to it without entering the pipeline:
/// reading the state is one volatile read, reporting a success one more.
/// <para>
/// <see cref="OpenedToken"/> is cancelled the moment the circuit opens: every wait for a connection and every
/// backoff between attempts that observes it ends then, so no caller keeps waiting against an open circuit.
/// </para>
/// </summary>
internal sealed class CircuitController
{
    private readonly Lock gate = new();
    private readonly TimeProvider time;
    private readonly int threshold;
    private readonly TimeSpan breakDuration;
    private readonly Action<CircuitTransition> onTransition;
    private CancellationTokenSource opened = new();
    private int state;
    private int failures;
    private long openedAtTimestamp;
    private long openedAtTicks;
    private long lastSuccessTimestamp;

    public CircuitController(int threshold, TimeSpan breakDuration, TimeProvider time, Action<CircuitTransition> onTransition)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 1);
        this.threshold = threshold;
        this.breakDuration = breakDuration;
        this.time = time;
        this.onTransition = onTransition;
    }

    /// <summary>The state now.</summary>
    public BreakerState State => (BreakerState)Volatile.Read(ref state);

    /// <summary>True while the circuit is closed (one volatile read): calls may go straight to the pool.</summary>
    public bool IsClosed => Volatile.Read(ref state) == (int)BreakerState.Closed;

    /// <summary>Connection-level failures in a row, counted towards opening.</summary>
    public int ConsecutiveFailures => Volatile.Read(ref failures);

    /// <summary>When the circuit last opened; null while it has not.</summary>
    public DateTimeOffset? OpenedAt => Interlocked.Read(ref openedAtTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>When the break ends and one call is let through (half-open); null unless open.</summary>
    public DateTimeOffset? HalfOpenAt => State == BreakerState.Open && OpenedAt is { } at ? at + breakDuration : null;

    /// <summary>Cancelled when the circuit opens; a fresh token after it closes again.</summary>
    public CancellationToken OpenedToken => Volatile.Read(ref opened).Token;

    /// <summary>Whether an attempt may start now. Open and due: the first caller becomes the half-open probe.</summary>
    /// <param name="probe">True for the one call let through to test the database.</param>
    public bool TryEnter(out bool probe)
    {
        probe = false;
        switch (State)
        {
            case BreakerState.Closed:
                return true;
            case BreakerState.Open when time.GetElapsedTime(Interlocked.Read(ref openedAtTimestamp)) >= breakDuration:
                lock (gate)
                {
                    if (state != (int)BreakerState.Open || time.GetElapsedTime(openedAtTimestamp) < breakDuration)
                    {
                        return false;
                    }

                    Volatile.Write(ref state, (int)BreakerState.HalfOpen);
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
    /// and failures of attempts that were already in flight then no longer count — the path was alive while they ran
    /// (a burst of slow connects at a cold start, not a dead database).
    /// </summary>
    /// <param name="timestamp">When it succeeded (<see cref="TimeProvider.GetTimestamp"/>).</param>
    public void OnSuccess(long timestamp)
    {
        Volatile.Write(ref lastSuccessTimestamp, timestamp);
        OnSuccess();
    }

    /// <summary>The database answered: the failure run ends, and a half-open circuit closes.</summary>
    public void OnSuccess()
    {
        if (Volatile.Read(ref failures) != 0)
        {
            Volatile.Write(ref failures, 0);
        }

        if (Volatile.Read(ref state) == (int)BreakerState.HalfOpen)
        {
            Close();
        }
    }

    /// <summary>
    /// A connection-level failure of an attempt that started at <paramref name="attemptStarted"/>: one more in the run,
    /// unless another attempt succeeded while it was in flight; the circuit opens at the threshold, and a failed probe
    /// reopens it.
    /// </summary>
    /// <param name="attemptStarted">When the failed attempt started (<see cref="TimeProvider.GetTimestamp"/>).</param>
    public void OnFailure(long attemptStarted)
    {
        if (attemptStarted < Volatile.Read(ref lastSuccessTimestamp) && Volatile.Read(ref state) == (int)BreakerState.Closed)
        {
            return;
        }

        OnFailure();
    }

    /// <summary>A connection-level failure: one more in the run; the circuit opens at the threshold, and a failed probe reopens it.</summary>
    public void OnFailure()
    {
        var run = Interlocked.Increment(ref failures);
        var current = Volatile.Read(ref state);
        if (current == (int)BreakerState.HalfOpen || (current == (int)BreakerState.Closed && run >= threshold))
        {
            Open(BreakerState.Open, current == (int)BreakerState.HalfOpen ? BreakerState.HalfOpen : BreakerState.Closed);
        }
    }

    /// <summary>A half-open probe ended without a verdict (cancelled by its caller): open again, so another probe can run.</summary>
    public void OnProbeAbandoned()
    {
        if (Volatile.Read(ref state) == (int)BreakerState.HalfOpen)
        {
            Open(BreakerState.Open, BreakerState.HalfOpen);
        }
    }

    /// <summary>Opens the circuit by hand until <see cref="Close"/>.</summary>
    public void Isolate() => Open(BreakerState.Isolated, null);

    private void Open(BreakerState next, BreakerState? from)
    {
        CancellationTokenSource? signal = null;
        lock (gate)
        {
            var current = (BreakerState)state;
            if ((from is { } expected && current != expected) || current == next || current == BreakerState.Isolated)
            {
                return;
            }

            Volatile.Write(ref state, (int)next);
            Interlocked.Exchange(ref openedAtTimestamp, time.GetTimestamp());
            Interlocked.Exchange(ref openedAtTicks, time.GetUtcNow().UtcTicks);
            if (current == BreakerState.Closed)
            {
                signal = opened;
            }
        }

        onTransition(next == BreakerState.Isolated ? CircuitTransition.Isolated : CircuitTransition.Opened);

        // Outside the lock: cancelling runs the waiters' callbacks on this thread.
        signal?.Cancel();
    }

    /// <summary>Closes the circuit (by hand, when a recovery probe succeeded, or when the half-open probe did).</summary>
    public void Close()
    {
        lock (gate)
        {
            if (state == (int)BreakerState.Closed)
            {
                return;
            }

            // The old source stays cancelled for calls that still hold its token; it has no timer, so nothing to dispose.
            opened = new CancellationTokenSource();
            Volatile.Write(ref failures, 0);
            Volatile.Write(ref state, (int)BreakerState.Closed);
        }

        onTransition(CircuitTransition.Closed);
    }
}
