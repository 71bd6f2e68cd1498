using Microsoft.Extensions.ObjectPool;

namespace Holdfast.Resilience;

/// <summary>
/// The deadlines of one execute attempt. <see cref="Token"/> ends the attempt's waits: first the connect timeout
/// (with the context's token: the caller's and the circuit's), then the rest of the call's budget (with the caller's
/// token only). The operation itself gets <see cref="OperationToken"/>, which follows <see cref="Token"/> but is
/// cancelled on a dedicated thread: Npgsql delivers a query cancellation synchronously, inside the token's callback,
/// and on a silent path that blocks for its whole connect timeout. Cancelled on a pool thread, a few dozen frozen
/// operations would starve the thread pool and stall the whole service; on their own threads they only wait.
/// <para>
/// On the system clock a deadline is pooled: its timer and both token sources are made once and re-armed per attempt,
/// so an attempt that ends well before its deadline allocates nothing. One that fired, was abandoned, or ended too
/// close to its deadline for the timer to be stopped for certain is not reused.
/// </para>
/// </summary>
internal sealed class OperationDeadline
{
    /// <summary>The longest a timer can be set for is about 49 days; a budget beyond that means "no deadline" in practice.</summary>
    private static readonly TimeSpan Longest = TimeSpan.FromDays(30);

    /// <summary>Ended closer than this to its deadline, the timer's callback may already be on its way: not reused.</summary>
    private static readonly TimeSpan ReuseMargin = TimeSpan.FromMilliseconds(100);

    private static readonly ObjectPool<OperationDeadline> Pool =
        new DefaultObjectPool<OperationDeadline>(new Policy(), Math.Max(64, Environment.ProcessorCount * 16));

    private readonly TimeProvider time;
    private readonly ITimer timer;
    private readonly CancellationTokenSource waits = new();
    private readonly CancellationTokenSource operation = new();
    private CancellationTokenRegistration link;
    private bool armed;
    private TimeSpan operationRemaining;
    private CancellationToken operationCaller;

    /// <summary>
    /// When the timer was last due (either phase), on <see cref="Environment.TickCount64"/> (a coarse clock is enough for
    /// the reuse margin); 0 while it has not been set in this use.
    /// </summary>
    private long dueAtTick;
    private bool nearMiss;
    private int operationPhase;
    private int operationCancelled;
    private bool abandoned;

    private OperationDeadline(TimeProvider time)
    {
        this.time = time;
        // The timer is made once and outlives the attempt that made it: it must not keep that attempt's async locals.
        var suppress = !ExecutionContext.IsFlowSuppressed();
        var flow = suppress ? ExecutionContext.SuppressFlow() : default;
        try
        {
            timer = time.CreateTimer(static s => ((OperationDeadline)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        finally
        {
            if (suppress)
            {
                flow.Undo();
            }
        }
    }

    /// <summary>Ends the attempt's waits.</summary>
    public CancellationToken Token => waits.Token;

    /// <summary>The token the operation gets.</summary>
    public CancellationToken OperationToken => operation.Token;

    /// <summary>A deadline, not armed yet; give it back with <see cref="Return"/>.</summary>
    public static OperationDeadline Rent(TimeProvider time) => time == TimeProvider.System ? Pool.Get() : new OperationDeadline(time);

    /// <summary>The open phase: ends after <paramref name="timeout"/> or when <paramref name="context"/> (caller, circuit) fires.</summary>
    public void StartConnect(TimeSpan timeout, CancellationToken context)
    {
        link = context.UnsafeRegister(static s => ((OperationDeadline)s!).Fire(), this);
        Arm(timeout);
    }

    /// <summary>
    /// The operation phase: ends after <paramref name="remaining"/> or when the caller cancels; the circuit no longer
    /// counts. False when the open phase's deadline fired just as the connection arrived: the operation must not start.
    /// The phase's timer and the caller's registration are set by <see cref="Await"/>, when the operation first waits:
    /// an operation that completes at once never needs them, and one that waits pays for them once.
    /// </summary>
    public bool StartOperation(TimeSpan remaining, CancellationToken caller)
    {
        if (armed)
        {
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            armed = false;
            // The connect timer stopped this close to its due time may still fire: this deadline is not reused.
            nearMiss |= Environment.TickCount64 >= dueAtTick - (long)ReuseMargin.TotalMilliseconds;
        }

        link.Dispose();
        link = default;
        if (waits.IsCancellationRequested)
        {
            return false;
        }

        Volatile.Write(ref operationPhase, 1);
        operationRemaining = remaining;
        operationCaller = caller;
        return true;
    }

    /// <summary>The operation did not complete at once: from now its deadline and the caller's cancellation apply.</summary>
    public void Await()
    {
        if (armed || Volatile.Read(ref operationPhase) != 1)
        {
            return;
        }

        link = operationCaller.UnsafeRegister(static s => ((OperationDeadline)s!).Fire(), this);
        Arm(operationRemaining);
    }

    /// <summary>The operation is left running past its deadline: its token must stay valid until it ends.</summary>
    public void Abandon() => abandoned = true;

    /// <summary>The attempt is over: the timer is stopped and the deadline reused when nothing of this attempt can reach it any more.</summary>
    public void Return()
    {
        if (armed)
        {
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        link.Dispose();
        link = default;
        var reusable = !abandoned && !nearMiss && time == TimeProvider.System && Volatile.Read(ref operationCancelled) == 0 &&
                       (dueAtTick == 0 || Environment.TickCount64 < dueAtTick - (long)ReuseMargin.TotalMilliseconds) && waits.TryReset();
        operationCaller = default;
        if (reusable)
        {
            operationPhase = 0;
            armed = false;
            dueAtTick = 0;
            Pool.Return(this);
            return;
        }

        timer.Dispose();
        waits.Dispose();
        if (!abandoned)
        {
            operation.Dispose();
        }
    }

    private void Arm(TimeSpan after)
    {
        var due = after < Longest ? after : Longest;
        armed = true;
        dueAtTick = Environment.TickCount64 + (long)due.TotalMilliseconds;
        timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The deadline passed or the caller (or, while connecting, the circuit) cancelled.</summary>
    private void Fire()
    {
        try
        {
            waits.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return;   // the attempt ended first
        }

        if (Volatile.Read(ref operationPhase) == 1 && Interlocked.Exchange(ref operationCancelled, 1) == 0)
        {
            CancelOnOwnThread(operation);
        }
    }

    private static void CancelOnOwnThread(CancellationTokenSource operation) =>
        _ = Task.Factory.StartNew(static s =>
        {
            try
            {
                ((CancellationTokenSource)s!).Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The operation ended and its attempt was disposed first: nothing left to cancel.
            }
        }, operation, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private sealed class Policy : IPooledObjectPolicy<OperationDeadline>
    {
        public OperationDeadline Create() => new(TimeProvider.System);

        public bool Return(OperationDeadline obj) => true;
    }
}
