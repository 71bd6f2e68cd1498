namespace Holdfast.Resilience;

/// <summary>
/// The deadlines of one execute attempt. <see cref="Token"/> ends the attempt's waits: first the connect timeout
/// (with the context's token: the caller's and the circuit's), then the rest of the call's budget (with the caller's
/// token only). The operation itself gets <see cref="OperationToken"/>, which follows <see cref="Token"/> but is
/// cancelled on a dedicated thread: Npgsql delivers a query cancellation synchronously, inside the token's callback,
/// and on a silent path that blocks for its whole connect timeout. Cancelled on a pool thread, a few dozen frozen
/// operations would starve the thread pool and stall the whole service; on their own threads they only wait.
/// </summary>
internal sealed class OperationDeadline : IDisposable
{
    /// <summary>The longest a timer can be set for is about 49 days; a budget beyond that means "no deadline" in practice.</summary>
    private static readonly TimeSpan Longest = TimeSpan.FromDays(30);

    private readonly CancellationTokenSource deadline;
    private readonly CancellationTokenSource operation = new();
    private CancellationTokenRegistration link;
    private CancellationTokenRegistration cascade;
    private bool abandoned;

    public OperationDeadline(TimeProvider time)
    {
        deadline = time == TimeProvider.System ? new CancellationTokenSource() : new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
    }

    /// <summary>Ends the attempt's waits.</summary>
    public CancellationToken Token => deadline.Token;

    /// <summary>The token the operation gets.</summary>
    public CancellationToken OperationToken => operation.Token;

    /// <summary>The open phase: ends after <paramref name="timeout"/> or when <paramref name="context"/> (caller, circuit) fires.</summary>
    public void StartConnect(TimeSpan timeout, CancellationToken context)
    {
        link = context.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), deadline);
        deadline.CancelAfter(timeout < Longest ? timeout : Longest);
    }

    /// <summary>
    /// The operation phase: ends after <paramref name="remaining"/> or when the caller cancels; the circuit no longer
    /// counts. False when the open phase's deadline fired just as the connection arrived: the operation must not start.
    /// </summary>
    public bool StartOperation(TimeSpan remaining, CancellationToken caller)
    {
        link.Dispose();
        if (deadline.IsCancellationRequested)
        {
            return false;
        }

        deadline.CancelAfter(remaining < Longest ? remaining : Longest);
        link = caller.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), deadline);
        cascade = deadline.Token.UnsafeRegister(static s => CancelOnOwnThread((CancellationTokenSource)s!), operation);
        return true;
    }

    /// <summary>The operation is left running past its deadline: its token must stay valid until it ends.</summary>
    public void Abandon() => abandoned = true;

    public void Dispose()
    {
        link.Dispose();
        cascade.Dispose();
        deadline.Dispose();
        if (!abandoned)
        {
            operation.Dispose();
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
}
