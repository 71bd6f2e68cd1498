using Microsoft.Extensions.Logging;

namespace Holdfast.Startup;

/// <summary>Start-up log messages (source-generated): one line per phase, one for the outcome.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 199, Level = LogLevel.Information, Message = "Starting in the {Environment} environment (from {Source}) against {Endpoint}")]
    public static partial void Starting(ILogger logger, string environment, string source, string endpoint);

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Startup phase {Phase} succeeded in {Milliseconds:0.#} ms (budget {BudgetSeconds:0.###} s)")]
    public static partial void PhaseSucceeded(ILogger logger, string phase, double milliseconds, double budgetSeconds);

    [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "Startup phase {Phase} failed: {Kind} after {Milliseconds:0.#} ms (budget {BudgetSeconds:0.###} s). {Diagnosis}")]
    public static partial void PhaseFailed(ILogger logger, string phase, FailureKind kind, double milliseconds, double budgetSeconds, string diagnosis);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Startup outcome: {Outcome} ({Rule})")]
    public static partial void Outcome(ILogger logger, StartupOutcome outcome, string rule);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Recovered after {Attempts} reconnect attempts: the service is ready")]
    public static partial void Recovered(ILogger logger, int attempts);

    [LoggerMessage(EventId = 204, Level = LogLevel.Debug, Message = "Recovery attempt {Attempt} failed: {Kind}")]
    public static partial void RecoveryAttemptFailed(ILogger logger, int attempt, FailureKind kind);
}
