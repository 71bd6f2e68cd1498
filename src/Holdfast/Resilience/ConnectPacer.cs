namespace Holdfast.Resilience;

/// <summary>
/// Paces a replica's connection attempts while the path to the database is failing, so a fleet coming back does not
/// hammer a cold server. Off (no cost but one volatile read) until a connection-level failure counts against the circuit;
/// then <em>probing</em>: at most one attempt starts per <see cref="Spacing"/>, from every path of this data source (its
/// pool, the recovery probe, the health probe), whatever the number of callers. The first attempt that gets a
/// connection starts <em>slow start</em>: at most 2 opens in flight, one more for every open that succeeds (1 → 2 → 4 per
/// round, as TCP grows its window), until the window reaches the pool's size and the pacer is off again. The circuit
/// opening again during slow start goes back to probing. Waiting callers keep their deadlines: a wait ends with the
/// caller's token, and so does an admitted attempt's hold on its slot.
/// </summary>
internal sealed class ConnectPacer : IDisposable
{
    private readonly Lock gate = new();
    private readonly Queue<Waiter> waiters = new();
    private readonly TimeProvider time;
    private readonly long spacingTicks;
    private readonly int fullWindow;
    private readonly ITimer timer;
    private int mode;
    private int window;
    private int inFlight;
    private long nextStartTimestamp;
    private long attempts;

    /// <param name="spacing">The least time between two attempt starts while probing.</param>
    /// <param name="fullWindow">Opens in flight at which slow start ends: the pool's size.</param>
    /// <param name="time">The clock.</param>
    public ConnectPacer(TimeSpan spacing, int fullWindow, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(spacing, TimeSpan.Zero);
        Spacing = spacing;
        this.time = time;
        spacingTicks = (long)(spacing.TotalSeconds * time.TimestampFrequency);
        this.fullWindow = Math.Max(2, fullWindow);
        timer = time.CreateTimer(static state => ((ConnectPacer)state!).Pump(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The least time between two attempt starts while probing.</summary>
    public TimeSpan Spacing { get; }

    /// <summary>True while attempts are paced (one volatile read): opens must go through <see cref="EnterAsync"/>.</summary>
    public bool IsEngaged => Volatile.Read(ref mode) != (int)PacerMode.Off;

    /// <summary>What the pacer does now.</summary>
    public PacerMode Mode => (PacerMode)Volatile.Read(ref mode);

    /// <summary>Attempts let through while engaged (for tests and monitoring).</summary>
    public long Attempts => Interlocked.Read(ref attempts);

    /// <summary>The circuit opened: probing from now on, until an attempt gets a connection; every wait queued until now ends (cancelled).</summary>
    public void Engage()
    {
        List<Waiter>? released = null;
        lock (gate)
        {
            Volatile.Write(ref mode, (int)PacerMode.Probing);
            window = 1;
            // Whoever waited for a slow-start slot is refused now that the circuit is open: their waits end, so the probes
            // that follow are not queued behind callers who no longer need a connection.
            while (waiters.TryDequeue(out var waiter))
            {
                (released ??= []).Add(waiter);
            }
        }

        foreach (var waiter in released ?? [])
        {
            waiter.Registration.Unregister();
            waiter.Done.TrySetCanceled();
        }
    }

    /// <summary>
    /// Waits until an attempt may start (at once while off). Release the lease when the attempt ends; it is released by
    /// itself when <paramref name="cancellationToken"/> fires first, so an attempt abandoned on a silent path (its connect
    /// still pending in Npgsql) does not hold a slot of the window.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait and the lease; the caller's attempt deadline.</param>
    public ValueTask<Lease> EnterAsync(CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (gate)
        {
            if (Volatile.Read(ref mode) == (int)PacerMode.Off)
            {
                return new ValueTask<Lease>(Lease.None);
            }

            if (waiters.Count == 0 && TryAdmit())
            {
                return new ValueTask<Lease>(Lease.For(this, cancellationToken));
            }

            cancellationToken.ThrowIfCancellationRequested();
            waiter = new Waiter(cancellationToken);
            if (cancellationToken.CanBeCanceled)
            {
                // The callback only completes the wait (no lock): registering here cannot deadlock.
                waiter.Registration = cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).Done.TrySetCanceled(token), waiter);
            }

            waiters.Enqueue(waiter);
            ArmTimer();
        }

        return new ValueTask<Lease>(waiter.Done.Task);
    }

    /// <summary>An attempt let in by <see cref="EnterAsync"/> ended; <paramref name="opened"/> when it got a connection.</summary>
    /// <param name="opened">True when a connection came back: the path answers, and the window grows.</param>
    private void Leave(bool opened)
    {
        lock (gate)
        {
            inFlight = Math.Max(0, inFlight - 1);
            if (opened)
            {
                switch ((PacerMode)mode)
                {
                    case PacerMode.Probing:
                        window = 2;
                        Volatile.Write(ref mode, (int)PacerMode.SlowStart);
                        break;
                    case PacerMode.SlowStart when ++window >= fullWindow:
                        Volatile.Write(ref mode, (int)PacerMode.Off);
                        break;
                }
            }
        }

        Pump();
    }

    public void Dispose()
    {
        timer.Dispose();
        lock (gate)
        {
            while (waiters.TryDequeue(out var waiter))
            {
                waiter.Done.TrySetCanceled();
                waiter.Registration.Unregister();
            }
        }
    }

    /// <summary>Lets queued callers in as far as the mode allows; arms the timer for the next start while probing.</summary>
    private void Pump()
    {
        List<Waiter>? admitted = null;
        lock (gate)
        {
            while (waiters.TryPeek(out var next))
            {
                if (next.Done.Task.IsCompleted)
                {
                    // Cancelled while it waited.
                    waiters.Dequeue();
                    continue;
                }

                if (!TryAdmit())
                {
                    break;
                }

                (admitted ??= []).Add(waiters.Dequeue());
            }

            ArmTimer();
        }

        if (admitted is null)
        {
            return;
        }

        foreach (var waiter in admitted)
        {
            waiter.Registration.Unregister();
            var lease = Lease.For(this, waiter.Token);
            if (!waiter.Done.TrySetResult(lease))
            {
                // Cancelled between the lock and here: its slot goes to the next.
                lease.Release(opened: false);
            }
        }
    }

    /// <summary>Under the lock: takes a slot if the mode allows one now.</summary>
    private bool TryAdmit()
    {
        switch ((PacerMode)mode)
        {
            case PacerMode.Off:
                break;
            case PacerMode.Probing:
                var now = time.GetTimestamp();
                if (now < nextStartTimestamp)
                {
                    return false;
                }

                nextStartTimestamp = now + spacingTicks;
                break;
            default:
                if (inFlight >= window)
                {
                    return false;
                }

                break;
        }

        inFlight++;
        Interlocked.Increment(ref attempts);
        return true;
    }

    /// <summary>Under the lock: while probing with callers queued, wake up when the next start is due.</summary>
    private void ArmTimer()
    {
        if (waiters.Count > 0 && mode == (int)PacerMode.Probing)
        {
            var due = Math.Max(0, nextStartTimestamp - time.GetTimestamp());
            timer.Change(TimeSpan.FromSeconds(due / (double)time.TimestampFrequency), Timeout.InfiniteTimeSpan);
        }
    }

    private sealed class Waiter(CancellationToken token)
    {
        public CancellationToken Token { get; } = token;

        public TaskCompletionSource<Lease> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }
    }

    /// <summary>One admitted attempt's slot: released once, by the attempt's end or by its deadline, whichever is first.</summary>
    internal sealed class Lease
    {
        /// <summary>The lease of an attempt made while the pacer is off: releasing it does nothing.</summary>
        public static readonly Lease None = new(null);

        private readonly ConnectPacer? owner;
        private CancellationTokenRegistration registration;
        private int released;

        private Lease(ConnectPacer? owner) => this.owner = owner;

        public static Lease For(ConnectPacer owner, CancellationToken token)
        {
            var lease = new Lease(owner);
            if (token.CanBeCanceled)
            {
                lease.registration = token.UnsafeRegister(static state => ((Lease)state!).Release(opened: false), lease);
            }

            return lease;
        }

        /// <summary>The attempt ended; <paramref name="opened"/> when it got a connection. Only the first call counts.</summary>
        /// <param name="opened">True when a connection came back.</param>
        public void Release(bool opened)
        {
            if (owner is null || Interlocked.Exchange(ref released, 1) != 0)
            {
                return;
            }

            // Unregister, not Dispose: this may run inside the registration's own callback.
            registration.Unregister();
            owner.Leave(opened);
        }
    }
}

/// <summary>What a <see cref="ConnectPacer"/> does now.</summary>
internal enum PacerMode
{
    /// <summary>Attempts go straight through.</summary>
    Off,

    /// <summary>The path is failing: one attempt start per spacing.</summary>
    Probing,

    /// <summary>The path answered again: a window of opens in flight that grows by one per success.</summary>
    SlowStart,
}
