using Holdfast.Resilience;
using Microsoft.Extensions.Time.Testing;

namespace Holdfast.Tests.Resilience;

/// <summary>The pacer alone, on a fake clock: one start per spacing while probing, then a window that grows by one per success.</summary>
public sealed class ConnectPacerTests
{
    private static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(100);
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Off_LetsEveryAttemptThroughAtOnce()
    {
        using var pacer = new ConnectPacer(Spacing, 10, time);

        var entries = Enumerable.Range(0, 50).Select(_ => pacer.EnterAsync(TestContext.Current.CancellationToken)).ToList();

        Assert.All(entries, e => Assert.True(e.IsCompletedSuccessfully));
        Assert.False(pacer.IsEngaged);
    }

    [Fact]
    public async Task Probing_FortyCallers_OneStartPerSpacing_NeverTwoInTheSameInterval()
    {
        using var pacer = new ConnectPacer(Spacing, 10, time);
        pacer.Engage();

        var entries = Enumerable.Range(0, 40).Select(_ => pacer.EnterAsync(TestContext.Current.CancellationToken).AsTask()).ToList();
        Assert.Equal(1, entries.Count(e => e.IsCompleted));

        for (var step = 1; step <= 10; step++)
        {
            // Just short of the next start: nobody new.
            time.Advance(Spacing - TimeSpan.FromMilliseconds(1));
            await Settle();
            Assert.Equal(step, entries.Count(e => e.IsCompleted));
            time.Advance(TimeSpan.FromMilliseconds(1));
            await Settle();
            Assert.Equal(step + 1, entries.Count(e => e.IsCompleted));
            (await entries.First(e => e.IsCompleted)).Release(opened: false);
        }

        Assert.Equal(PacerMode.Probing, pacer.Mode);
    }

    [Fact]
    public async Task FirstSuccess_StartsSlowStart_TheWindowGrowsByOnePerSuccess_UntilThePoolSize()
    {
        using var pacer = new ConnectPacer(Spacing, 8, time);
        pacer.Engage();
        var first = pacer.EnterAsync(TestContext.Current.CancellationToken);
        Assert.True(first.IsCompletedSuccessfully);
        var waiting = Enumerable.Range(0, 30).Select(_ => pacer.EnterAsync(TestContext.Current.CancellationToken).AsTask()).ToList();

        (await first).Release(opened: true);
        await Settle();
        Assert.Equal(PacerMode.SlowStart, pacer.Mode);
        Assert.Equal(2, waiting.Count(e => e.IsCompleted));

        // A round: every open in flight succeeds; each success lets one more in than it frees (1 -> 2 -> 4 -> 8).
        var admitted = 2;
        foreach (var lease in waiting.Take(2))
        {
            (await lease).Release(opened: true);
            (await lease).Release(opened: true); // a second release of the same lease counts for nothing
        }

        await Settle();
        Assert.Equal(admitted + 4, waiting.Count(e => e.IsCompleted));
        admitted += 4;

        foreach (var lease in waiting.Skip(2).Take(4))
        {
            (await lease).Release(opened: true);
        }

        // Window 8 reached: the pacer is off and everyone waiting goes.
        await Settle();
        Assert.Equal(PacerMode.Off, pacer.Mode);
        Assert.All(waiting, e => Assert.True(e.IsCompletedSuccessfully));
        Assert.True(waiting.Count > admitted);
    }

    [Fact]
    public async Task AFailureDuringSlowStart_GoesBackToProbing()
    {
        using var pacer = new ConnectPacer(Spacing, 50, time);
        pacer.Engage();
        (await pacer.EnterAsync(TestContext.Current.CancellationToken)).Release(opened: true);
        Assert.Equal(PacerMode.SlowStart, pacer.Mode);

        time.Advance(Spacing);
        pacer.Engage();
        Assert.Equal(PacerMode.Probing, pacer.Mode);
        await pacer.EnterAsync(TestContext.Current.CancellationToken);
        var next = pacer.EnterAsync(TestContext.Current.CancellationToken).AsTask();

        await Settle();
        Assert.False(next.IsCompleted);
        time.Advance(Spacing);
        await Settle();
        Assert.True(next.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task AnAdmittedAttemptPastItsDeadline_GivesItsSlotBack_EvenIfItsConnectNeverEnds()
    {
        // Slow start with a window of 2, both slots taken by connects sent into a silent path.
        using var pacer = new ConnectPacer(Spacing, 10, time);
        pacer.Engage();
        (await pacer.EnterAsync(TestContext.Current.CancellationToken)).Release(opened: true);
        using var deadline = new CancellationTokenSource();
        _ = await pacer.EnterAsync(deadline.Token);
        _ = await pacer.EnterAsync(deadline.Token);
        var next = pacer.EnterAsync(TestContext.Current.CancellationToken).AsTask();
        await Settle();
        Assert.False(next.IsCompleted);

        // Their deadlines pass; their connects are still pending in Npgsql and never released by hand.
        await deadline.CancelAsync();
        await Settle();

        Assert.True(next.IsCompletedSuccessfully, "a slot held by an abandoned attempt is given back at its deadline");
    }

    [Fact]
    public async Task AWaitEndsWithItsCallersToken_AndHoldsNoSlot()
    {
        using var pacer = new ConnectPacer(Spacing, 10, time);
        pacer.Engage();
        await pacer.EnterAsync(TestContext.Current.CancellationToken);
        using var deadline = new CancellationTokenSource();
        var abandoned = pacer.EnterAsync(deadline.Token).AsTask();
        var patient = pacer.EnterAsync(TestContext.Current.CancellationToken).AsTask();

        await deadline.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        time.Advance(Spacing);
        await Settle();

        Assert.True(patient.IsCompletedSuccessfully, "the next start goes to the caller still waiting");
    }

    private static async Task Settle()
    {
        // Continuations run asynchronously: let them.
        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }
}
