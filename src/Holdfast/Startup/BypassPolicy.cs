using Holdfast.Configuration;

namespace Holdfast.Startup;

/// <summary>Whether a start-up with failures may go on degraded, and the rule that decided it.</summary>
public sealed record BypassDecision
{
    internal BypassDecision(bool allowed, string rule)
    {
        Allowed = allowed;
        Rule = rule;
    }

    /// <summary>True: start degraded and recover in the background. False: fail.</summary>
    public bool Allowed { get; init; }

    /// <summary>The rule that decided, in one line.</summary>
    public string Rule { get; init; }
}

/// <summary>
/// The bypass policy. A permanent failure (authentication, missing database, configuration, TLS) is never bypassed.
/// Otherwise the service starts degraded when <c>BYPASS_STARTUP_VALIDATION=true</c>, or in staging when every failure
/// is of an infrastructure kind (timeout, refused, too many connections, server starting, failover) and there are at most three.
/// </summary>
internal static class BypassPolicy
{
    /// <summary>The variable that allows a degraded start in any environment.</summary>
    public const string Variable = "BYPASS_STARTUP_VALIDATION";

    /// <summary>The most infrastructure failures staging bypasses.</summary>
    public const int MaxInfrastructureFailures = 3;

    /// <summary>Decides.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="failures">The kinds of the failed phases, in order.</param>
    /// <param name="bypassRequested">True when <c>BYPASS_STARTUP_VALIDATION=true</c>.</param>
    public static BypassDecision Decide(HoldfastEnvironment environment, IReadOnlyList<FailureKind> failures, bool bypassRequested)
    {
        ArgumentNullException.ThrowIfNull(failures);
        if (failures.Count == 0)
        {
            return new BypassDecision(false, "no failures: nothing to bypass");
        }

        if (failures.Any(k => k.IsPermanent()))
        {
            return new BypassDecision(false, $"{failures.First(k => k.IsPermanent())} is permanent: never bypassed, waiting cannot fix it");
        }

        if (bypassRequested)
        {
            return new BypassDecision(true, $"{Variable}=true: start degraded whatever the environment");
        }

        if (environment != HoldfastEnvironment.Staging)
        {
            return new BypassDecision(false, $"{environment.ToName()} has no bypass: set {Variable}=true to start degraded");
        }

        if (failures.Any(k => !k.IsInfrastructure()))
        {
            return new BypassDecision(false,
                $"staging bypasses only infrastructure kinds (timeout, refused, too many connections, server starting, failover), not {failures.First(k => !k.IsInfrastructure())}");
        }

        return failures.Count <= MaxInfrastructureFailures
            ? new BypassDecision(true, $"staging with {failures.Count} infrastructure failure{(failures.Count == 1 ? "" : "s")} ({string.Join(", ", failures)}), at most {MaxInfrastructureFailures}")
            : new BypassDecision(false, $"staging with {failures.Count} infrastructure failures: more than {MaxInfrastructureFailures}");
    }

    /// <summary>True when a value of <c>BYPASS_STARTUP_VALIDATION</c> asks for the bypass (<c>true</c> or <c>1</c>).</summary>
    /// <param name="value">The variable's value.</param>
    public static bool IsRequested(string? value) =>
        value?.Trim() is { } text && (text.Equals("true", StringComparison.OrdinalIgnoreCase) || text == "1");
}
