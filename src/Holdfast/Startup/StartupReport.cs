using Holdfast.Faults;
using Holdfast.Timeouts;

namespace Holdfast.Startup;

/// <summary>Where start-up stands.</summary>
public enum StartupOutcome
{
    /// <summary>Phases are running.</summary>
    Starting,

    /// <summary>Every phase succeeded.</summary>
    Ready,

    /// <summary>Started without the database, as the bypass policy allows; the recovery loop is reconnecting.</summary>
    Degraded,

    /// <summary>Start-up failed; the host stops.</summary>
    Failed,
}

/// <summary>How a phase went.</summary>
public enum PhaseStatus
{
    /// <summary>Not run yet.</summary>
    Pending,

    /// <summary>Running now.</summary>
    Running,

    /// <summary>Done.</summary>
    Succeeded,

    /// <summary>Failed; see the failure kind and diagnosis.</summary>
    Failed,

    /// <summary>Needs the database, which is not there: the recovery loop runs it later.</summary>
    Deferred,

    /// <summary>Not run because start-up failed before it.</summary>
    Skipped,
}

/// <summary>One phase in the report.</summary>
/// <param name="Name">The phase.</param>
/// <param name="Kind">What it does.</param>
/// <param name="Status">How it went.</param>
/// <param name="Budget">Its budget (the timeout used).</param>
/// <param name="Duration">How long it took.</param>
/// <param name="Failure">The failure, redacted, when it failed.</param>
public sealed record StartupPhaseReport(string Name, StartupPhaseKind Kind, PhaseStatus Status, TimeSpan Budget, TimeSpan Duration, DatabaseFailure? Failure);

/// <summary>The start-up, phase by phase, with the outcome and the effective timeouts.</summary>
/// <param name="Environment">The environment.</param>
/// <param name="Outcome">Where start-up stands.</param>
/// <param name="Phases">Every phase, in order.</param>
/// <param name="Bypass">The bypass decision, when a phase failed.</param>
/// <param name="Timeouts">The effective timeouts with their sources.</param>
/// <param name="StartedAt">When start-up began.</param>
/// <param name="CompletedAt">When the outcome was decided.</param>
/// <param name="RecoveredAt">When a degraded start turned ready.</param>
/// <param name="RecoveryAttempts">Reconnect attempts of the recovery loop so far.</param>
public sealed record StartupReport(
    HoldfastEnvironment Environment,
    StartupOutcome Outcome,
    IReadOnlyList<StartupPhaseReport> Phases,
    BypassDecision? Bypass,
    IReadOnlyList<TimeoutSetting> Timeouts,
    DateTimeOffset StartedAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset? RecoveredAt,
    int RecoveryAttempts)
{
    /// <summary>The first failed phase, if any.</summary>
    public StartupPhaseReport? FirstFailure => Phases.FirstOrDefault(p => p.Status == PhaseStatus.Failed);
}
