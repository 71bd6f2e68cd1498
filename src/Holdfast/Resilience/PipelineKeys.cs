using Polly;

namespace Holdfast.Resilience;

/// <summary>Operation keys and context properties of the guarded pipeline.</summary>
internal static class PipelineKeys
{
    public const string Open = "holdfast.open";
    public const string Execute = "holdfast.execute";
    public const string Probe = "holdfast.probe";

    /// <summary>The call's own state: start, budget, attempts, last failure.</summary>
    public static readonly ResiliencePropertyKey<CallState> Call = new("holdfast.call");
}
