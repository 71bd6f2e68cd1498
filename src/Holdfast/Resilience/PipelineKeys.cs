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

    /// <summary>The attempt about to run, from 0; absent on the first.</summary>
    public static readonly ResiliencePropertyKey<int> Attempt = new("holdfast.attempt");

    /// <summary>The failure of the last attempt, for the message when the budget runs out.</summary>
    public static readonly ResiliencePropertyKey<Exception> LastFailure = new("holdfast.last-failure");
}
