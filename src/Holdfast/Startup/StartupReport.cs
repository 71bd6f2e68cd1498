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
public sealed record StartupPhaseReport
{
    internal StartupPhaseReport(string name, StartupPhaseKind kind, PhaseStatus status, TimeSpan budget, TimeSpan duration, DatabaseFailure? failure)
    {
        Name = name;
        Kind = kind;
        Status = status;
        Budget = budget;
        Duration = duration;
        Failure = failure;
    }

    /// <summary>The phase.</summary>
    public string Name { get; init; }

    /// <summary>What it does.</summary>
    public StartupPhaseKind Kind { get; init; }

    /// <summary>How it went.</summary>
    public PhaseStatus Status { get; init; }

    /// <summary>Its budget (the timeout used).</summary>
    public TimeSpan Budget { get; init; }

    /// <summary>How long it took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>The failure, redacted, when it failed.</summary>
    public DatabaseFailure? Failure { get; init; }
}

/// <summary>The start-up, phase by phase, with the outcome and the effective timeouts.</summary>
public sealed record StartupReport
{
    internal StartupReport(HoldfastEnvironment environment, StartupOutcome outcome, IReadOnlyList<StartupPhaseReport> phases, BypassDecision? bypass, IReadOnlyList<TimeoutSetting> timeouts, DateTimeOffset startedAt, DateTimeOffset? completedAt, DateTimeOffset? recoveredAt, int recoveryAttempts)
    {
        Environment = environment;
        Outcome = outcome;
        Phases = phases;
        Bypass = bypass;
        Timeouts = timeouts;
        StartedAt = startedAt;
        CompletedAt = completedAt;
        RecoveredAt = recoveredAt;
        RecoveryAttempts = recoveryAttempts;
    }

    /// <summary>The environment.</summary>
    public HoldfastEnvironment Environment { get; init; }

    /// <summary>Where start-up stands.</summary>
    public StartupOutcome Outcome { get; init; }

    /// <summary>Every phase, in order.</summary>
    public IReadOnlyList<StartupPhaseReport> Phases { get; init; }

    /// <summary>The bypass decision, when a phase failed.</summary>
    public BypassDecision? Bypass { get; init; }

    /// <summary>The effective timeouts with their sources.</summary>
    public IReadOnlyList<TimeoutSetting> Timeouts { get; init; }

    /// <summary>When start-up began.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When the outcome was decided.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>When a degraded start turned ready.</summary>
    public DateTimeOffset? RecoveredAt { get; init; }

    /// <summary>Reconnect attempts of the recovery loop so far.</summary>
    public int RecoveryAttempts { get; init; }

    /// <summary>The first failed phase, if any.</summary>
    public StartupPhaseReport? FirstFailure => Phases.FirstOrDefault(p => p.Status == PhaseStatus.Failed);
}
