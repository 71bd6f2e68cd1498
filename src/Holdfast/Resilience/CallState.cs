using Microsoft.Extensions.ObjectPool;

namespace Holdfast.Resilience;

/// <summary>
/// What one guarded call knows about itself: when it started, its budget, which attempt runs.
/// Pooled and attached to the pooled Polly context, so the success path allocates nothing and nothing is boxed.
/// </summary>
internal sealed class CallState
{
    private static readonly ObjectPool<CallState> Pool = new DefaultObjectPool<CallState>(new DefaultPooledObjectPolicy<CallState>(), 256);

    /// <summary>When the call started (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long Started { get; private set; }

    /// <summary>The call's budget, retries included.</summary>
    public TimeSpan Budget { get; private set; }

    /// <summary>The attempt that runs next, from 0.</summary>
    public int NextAttempt { get; set; }

    /// <summary>Attempts started so far.</summary>
    public int Attempts { get; set; }

    public static CallState Rent(long started, TimeSpan budget)
    {
        var state = Pool.Get();
        state.Started = started;
        state.Budget = budget;
        state.NextAttempt = 0;
        state.Attempts = 0;
        return state;
    }

    public static void Return(CallState state) => Pool.Return(state);

    /// <summary>What is left of the budget now.</summary>
    public TimeSpan Remaining(TimeProvider time) => Budget - time.GetElapsedTime(Started);
}
