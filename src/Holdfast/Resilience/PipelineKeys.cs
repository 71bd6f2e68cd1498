using Polly;

namespace Holdfast.Resilience;

/// <summary>Operation keys and context properties of the guarded pipeline.</summary>
internal static class PipelineKeys
{
    public const string Open = "holdfast.open";
    public const string Execute = "holdfast.execute";
    public const string Probe = "holdfast.probe";

    /// <summary>A caller's budget for this call, replacing the default.</summary>
    public static readonly ResiliencePropertyKey<TimeSpan> Budget = new("holdfast.budget");

    /// <summary>The attempt to run next, from 0; set after a failed attempt, absent before the first.</summary>
    public static readonly ResiliencePropertyKey<int> Attempt = new("holdfast.attempt");

    /// <summary>Attempts started so far; set from the second attempt on (absent means one).</summary>
    public static readonly ResiliencePropertyKey<int> Started = new("holdfast.started");

    /// <summary>The failure of the last attempt, for the message when the budget runs out.</summary>
    public static readonly ResiliencePropertyKey<Exception> LastFailure = new("holdfast.last-failure");
}
