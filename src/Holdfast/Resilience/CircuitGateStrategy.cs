using Polly;
using Polly.CircuitBreaker;

namespace Holdfast.Resilience;

/// <summary>
/// The circuit as a Polly strategy, between retry and the attempt timeout: an attempt starts only when the
/// <see cref="CircuitController"/> lets it (refused ones get Polly's <see cref="BrokenCircuitException"/> as an outcome,
/// never thrown), and its outcome is reported back as a verdict. A first attempt that already ran outside the pipeline
/// passes as its outcome only.
/// </summary>
internal sealed class CircuitGateStrategy(CircuitController circuit, Func<Exception?, CircuitVerdict> judge, Func<TimeSpan> retryAfter, TimeProvider time) : ResilienceStrategy
{
    protected override async ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
    {
        var call = CallState.Of(context);
        if (call.TakeReplay(out var replayed))
        {
            // The first attempt ran (and was judged) before the pipeline: only its outcome passes here, for the retry to weigh.
            call.Attempts = 1;
            return Outcome.FromException<TResult>(replayed);
        }

        if (!circuit.TryEnter(out var probe))
        {
            return Outcome.FromException<TResult>(new BrokenCircuitException("The circuit is open: the database is not tried now.", retryAfter()));
        }

        var started = time.GetTimestamp();
        Outcome<TResult> outcome;
        try
        {
            outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
        }
#pragma warning disable CA1031 // An attempt that throws is an outcome like any other.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            outcome = Outcome.FromException<TResult>(ex);
        }

        CircuitVerdict verdict;
        try
        {
            verdict = judge(outcome.Exception);
        }
#pragma warning disable CA1031 // Judging keeps status and metrics; if that fails, the attempt still gets an answer and a probe is released.
        catch (Exception)
#pragma warning restore CA1031
        {
            verdict = CircuitVerdict.Neutral;
        }

        switch (verdict)
        {
            case CircuitVerdict.Answered:
                circuit.OnSuccess(time.GetTimestamp());
                break;
            case CircuitVerdict.Failed:
                circuit.OnFailure(started);
                break;
            case CircuitVerdict.Neutral when probe:
                circuit.OnProbeAbandoned(started);
                break;
        }

        return outcome;
    }

    /// <summary>The options Polly asks for with a custom strategy; nothing to set.</summary>
    internal sealed class Options : ResilienceStrategyOptions
    {
        public Options() => Name = "circuit";
    }
}
