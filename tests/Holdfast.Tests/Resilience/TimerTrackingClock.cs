using Microsoft.Extensions.Time.Testing;

namespace Holdfast.Tests.Resilience;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that knows when its next timer is due (every delay, timeout and deadline made from it
/// is one), so a test can move the clock straight to it instead of stepping through time in which nothing can happen.
/// </summary>
internal sealed class TimerTrackingClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Lock gate = new();
    private readonly HashSet<TrackedTimer> armed = [];

    /// <summary>When the earliest armed timer fires; null when none is armed.</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            lock (gate)
            {
                return armed.Count == 0 ? null : armed.Min(t => t.Due);
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var tracked = new TrackedTimer(this, period);
        tracked.Arm(dueTime);
        tracked.Inner = base.CreateTimer(s =>
        {
            tracked.Fired();
            callback(s);
        }, state, dueTime, period);
        return tracked;
    }

    private sealed class TrackedTimer(TimerTrackingClock clock, TimeSpan period) : ITimer
    {
        private TimeSpan period = period;

        public ITimer Inner { get; set; } = null!;

        public DateTimeOffset Due { get; private set; }

        public void Arm(TimeSpan dueTime)
        {
            lock (clock.gate)
            {
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    clock.armed.Remove(this);
                    return;
                }

                Due = clock.GetUtcNow() + dueTime;
                clock.armed.Add(this);
            }
        }

        public void Fired() => Arm(period == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : period);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            this.period = period;
            Arm(dueTime);
            return Inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            Arm(Timeout.InfiniteTimeSpan);
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Arm(Timeout.InfiniteTimeSpan);
            return Inner.DisposeAsync();
        }
    }
}
