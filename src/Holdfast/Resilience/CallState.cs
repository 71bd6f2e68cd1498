using Microsoft.Extensions.ObjectPool;
using Npgsql;
using Polly;

namespace Holdfast.Resilience;

/// <summary>
/// What one guarded call knows about itself: when it started, its budget, which attempt runs, the caller's token and
/// the circuit's. Pooled and attached to the pooled Polly context, so nothing is boxed; the one allocation a call may
/// make is the link between a cancellable caller token and the circuit's, and only on the pipeline's path.
/// </summary>
internal sealed class CallState
{
    private static readonly ObjectPool<CallState> Pool = new DefaultObjectPool<CallState>(new DefaultPooledObjectPolicy<CallState>(), 256);

    private CancellationTokenSource? link;
    private Task<NpgsqlConnection>? firstOpen;
    private int firstOpenWaitStarts;
    private Exception? replay;

    /// <summary>When the call started (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long Started { get; private set; }

    /// <summary>The call's budget, retries included.</summary>
    public TimeSpan Budget { get; private set; }

    /// <summary>The attempt that runs next, from 0.</summary>
    public int NextAttempt { get; set; }

    /// <summary>Attempts started so far.</summary>
    public int Attempts { get; set; }

    /// <summary>The caller's token.</summary>
    public CancellationToken CallerToken { get; private set; }

    /// <summary>Cancelled when the circuit opens (none when the call started while it was not closed).</summary>
    public CancellationToken CircuitToken { get; private set; }

    /// <summary>The caller's token and the circuit's together: the context's token.</summary>
    public CancellationToken Token { get; private set; }

    /// <summary>True once this call asked the password provider again after an authentication failure (it does so once).</summary>
    public bool RefreshedCredentials { get; set; }

    /// <summary>True when the circuit opened during the call and the caller did not cancel.</summary>
    public bool EndedByCircuit => CircuitToken.IsCancellationRequested && !CallerToken.IsCancellationRequested;

    public static CallState Rent(long started, TimeSpan budget, CancellationToken caller, CancellationToken circuit, Task<NpgsqlConnection>? firstOpen,
        int firstOpenWaitStarts, Exception? replay = null)
    {
        var state = Pool.Get();
        state.Started = started;
        state.Budget = budget;
        state.NextAttempt = 0;
        state.Attempts = 0;
        state.RefreshedCredentials = false;
        state.CallerToken = caller;
        state.CircuitToken = circuit;
        state.firstOpen = firstOpen;
        state.firstOpenWaitStarts = firstOpenWaitStarts;
        state.replay = replay;
        if (caller.CanBeCanceled && circuit.CanBeCanceled)
        {
            state.link = CancellationTokenSource.CreateLinkedTokenSource(caller, circuit);
            state.Token = state.link.Token;
        }
        else
        {
            state.Token = caller.CanBeCanceled ? caller : circuit;
        }

        return state;
    }

    public static void Return(CallState state)
    {
        state.link?.Dispose();
        state.link = null;
        if (state.firstOpen is { } open)
        {
            // Never awaited (the call ended before its first attempt): its connection must not leak.
            AbandonableOpen.DisposeWhenOpened(open);
            state.firstOpen = null;
        }

        state.replay = null;
        Pool.Return(state);
    }

    /// <summary>The call state of a context from <see cref="GuardedPipeline.Rent"/>.</summary>
    public static CallState Of(ResilienceContext context) =>
        context.Properties.TryGetValue(PipelineKeys.Call, out var call)
            ? call
            : throw new InvalidOperationException("Guarded calls run on a context from GuardedPipeline.Rent.");

    /// <summary>The open the fast path already started (and the pool's wait count before it), for the first attempt to finish.</summary>
    public bool TakeFirstOpen(out Task<NpgsqlConnection> open, out int waitStarts)
    {
        open = firstOpen!;
        waitStarts = firstOpenWaitStarts;
        firstOpen = null;
        return open is not null;
    }

    /// <summary>
    /// The failure of a first attempt that ran outside the pipeline (<see cref="HoldfastDataSource"/>'s fast path) and
    /// was already judged there: the pipeline's first attempt is this outcome, so retrying it follows the pipeline's rules.
    /// </summary>
    public bool TakeReplay(out Exception failure)
    {
        failure = replay!;
        replay = null;
        return failure is not null;
    }

    /// <summary>What is left of the budget now.</summary>
    public TimeSpan Remaining(TimeProvider time) => Budget - time.GetElapsedTime(Started);
}
