using Holdfast.Resilience;
using Microsoft.Extensions.Time.Testing;

namespace Holdfast.Tests.Resilience;

/// <summary>The circuit's state machine alone, on a fake clock.</summary>
public sealed class CircuitControllerTests
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly List<CircuitTransition> transitions = [];

    private CircuitController Create(int threshold = 5) => new(threshold, TimeSpan.FromSeconds(60), time, transitions.Add);

    [Fact]
    public void OnFailure_FiveInARow_OpensWhateverSucceededBefore()
    {
        var circuit = Create();
        for (var i = 0; i < 1000; i++)
        {
            circuit.OnSuccess();
        }

        for (var i = 0; i < 4; i++)
        {
            circuit.OnFailure(time.GetTimestamp());
            Assert.Equal(CircuitState.Closed, circuit.State);
        }

        circuit.OnFailure(time.GetTimestamp());

        Assert.Equal(CircuitState.Open, circuit.State);
        Assert.Equal(time.GetUtcNow(), circuit.OpenedAt);
        Assert.Equal([CircuitTransition.Opened], transitions);
    }

    [Fact]
    public void OnSuccess_InTheMiddleOfARun_StartsTheCountAgain()
    {
        var circuit = Create();
        for (var i = 0; i < 4; i++)
        {
            circuit.OnFailure(time.GetTimestamp());
        }

        circuit.OnSuccess();
        for (var i = 0; i < 4; i++)
        {
            circuit.OnFailure(time.GetTimestamp());
        }

        Assert.Equal(CircuitState.Closed, circuit.State);
        Assert.Equal(4, circuit.ConsecutiveFailures);
    }

    [Fact]
    public void OnFailure_OfAttemptsInFlightWhenAnotherSucceeded_DoesNotCount()
    {
        // A cold start: forty slow connects at once; a few succeed while the others run into their attempt timeouts.
        var circuit = Create();
        var herdStarted = time.GetTimestamp();
        time.Advance(TimeSpan.FromMilliseconds(300));
        circuit.OnSuccess(time.GetTimestamp());
        time.Advance(TimeSpan.FromMilliseconds(200));

        for (var i = 0; i < 20; i++)
        {
            circuit.OnFailure(herdStarted);
        }

        Assert.Equal(CircuitState.Closed, circuit.State);
        for (var i = 0; i < 5; i++)
        {
            circuit.OnFailure(time.GetTimestamp());
        }

        Assert.Equal(CircuitState.Open, circuit.State);
    }

    [Fact]
    public void OpenedToken_IsCancelledWhenItOpens_AndFreshAfterItCloses()
    {
        var circuit = Create(threshold: 2);
        var before = circuit.OpenedToken;
        circuit.OnFailure(time.GetTimestamp());
        Assert.False(before.IsCancellationRequested);

        circuit.OnFailure(time.GetTimestamp());

        Assert.True(before.IsCancellationRequested);
        circuit.Close();
        Assert.False(circuit.OpenedToken.IsCancellationRequested);
        Assert.True(circuit.IsClosed);
        Assert.Equal(0, circuit.ConsecutiveFailures);
    }

    [Fact]
    public void TryEnter_WhileOpen_RefusesUntilTheBreakEnds_ThenLetsExactlyOneProbeThrough()
    {
        var circuit = Create(threshold: 2);
        circuit.OnFailure(time.GetTimestamp());
        circuit.OnFailure(time.GetTimestamp());

        Assert.False(circuit.TryEnter(out _));
        time.Advance(TimeSpan.FromSeconds(59.9));
        Assert.False(circuit.TryEnter(out _));
        time.Advance(TimeSpan.FromSeconds(0.1));

        Assert.True(circuit.TryEnter(out var probe));
        Assert.True(probe);
        Assert.Equal(CircuitState.HalfOpen, circuit.State);
        Assert.False(circuit.TryEnter(out _));

        circuit.OnSuccess();
        Assert.Equal(CircuitState.Closed, circuit.State);
        Assert.Equal([CircuitTransition.Opened, CircuitTransition.HalfOpened, CircuitTransition.Closed], transitions);
    }

    [Fact]
    public void HalfOpenProbe_FailedOrAbandoned_OpensAgainForAnotherBreak()
    {
        var circuit = Create(threshold: 2);
        circuit.OnFailure(time.GetTimestamp());
        circuit.OnFailure(time.GetTimestamp());
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.True(circuit.TryEnter(out _));

        circuit.OnFailure(time.GetTimestamp());

        Assert.Equal(CircuitState.Open, circuit.State);
        Assert.Equal(TimeSpan.FromSeconds(60), circuit.ProbeDueIn);
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.True(circuit.TryEnter(out _));
        circuit.OnProbeAbandoned(time.GetTimestamp());
        Assert.Equal(CircuitState.Open, circuit.State);
    }

    [Fact]
    public void Isolate_RefusesUntilClosedByHand_AndFailuresCannotTurnItIntoAnOrdinaryOpen()
    {
        var circuit = Create(threshold: 2);
        var token = circuit.OpenedToken;

        circuit.Isolate();
        circuit.OnFailure(time.GetTimestamp());
        circuit.OnFailure(time.GetTimestamp());
        time.Advance(TimeSpan.FromHours(1));

        Assert.True(token.IsCancellationRequested);
        Assert.Equal(CircuitState.Isolated, circuit.State);
        Assert.False(circuit.TryEnter(out _));
        circuit.Close();
        Assert.True(circuit.TryEnter(out var probe));
        Assert.False(probe);
    }

    [Fact]
    public void Recover_NeverEndsAnIsolation_OnlyCloseDoes()
    {
        var circuit = Create();

        circuit.Isolate();
        circuit.Recover();

        Assert.Equal(CircuitState.Isolated, circuit.State);
        circuit.Close();
        Assert.Equal(CircuitState.Closed, circuit.State);
    }

    [Fact]
    public void HalfOpenProbe_ThatNeverReports_IsReplacedAfterAnotherBreak()
    {
        var circuit = Create(threshold: 2);
        circuit.OnFailure(time.GetTimestamp());
        circuit.OnFailure(time.GetTimestamp());
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.True(circuit.TryEnter(out _));

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(circuit.RefusesNow);
        Assert.False(circuit.TryEnter(out _));
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(circuit.RefusesNow);
        Assert.True(circuit.TryEnter(out var probe));
        Assert.True(probe);
    }

    [Fact]
    public void LateFailure_OfAnAttemptStartedBeforeTheProbe_DoesNotReopenTheHalfOpenCircuit()
    {
        var circuit = Create(threshold: 2);
        var longRunning = time.GetTimestamp();
        circuit.OnFailure(time.GetTimestamp());
        circuit.OnFailure(time.GetTimestamp());
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.True(circuit.TryEnter(out _));

        circuit.OnFailure(longRunning);
        circuit.OnProbeAbandoned(longRunning);

        Assert.Equal(CircuitState.HalfOpen, circuit.State);
        circuit.OnSuccess(time.GetTimestamp());
        Assert.Equal(CircuitState.Closed, circuit.State);
    }

    [Fact]
    public async Task OnFailure_FromManyThreadsAtOnce_OpensOnce()
    {
        var opened = 0;
        var counted = new CircuitController(5, TimeSpan.FromSeconds(60), time, t =>
        {
            if (t == CircuitTransition.Opened)
            {
                Interlocked.Increment(ref opened);
            }
        });

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                counted.OnFailure(time.GetTimestamp());
            }
        }, TestContext.Current.CancellationToken)));

        Assert.Equal(CircuitState.Open, counted.State);
        Assert.Equal(1, opened);
    }
}
