using Microsoft.Extensions.Logging;

namespace Holdfast.Resilience;

/// <summary>Log messages of guarded access (source-generated).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Database circuit of {Source} opened after {Failures} failures; last: {Kind}. Calls are refused for up to {BreakSeconds} s while recovery probes run")]
    public static partial void CircuitOpened(ILogger logger, string source, int failures, FailureKind kind, double breakSeconds);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Database circuit of {Source} closed: the database answers again")]
    public static partial void CircuitClosed(ILogger logger, string source);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Database circuit of {Source} half-open: letting one call through")]
    public static partial void CircuitHalfOpened(ILogger logger, string source);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "Retrying after {Kind} (attempt {Attempt}) in {DelayMilliseconds} ms")]
    public static partial void Retrying(ILogger logger, FailureKind kind, int attempt, double delayMilliseconds);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Recovery probe {Probe} succeeded: closing the circuit")]
    public static partial void RecoveryProbeSucceeded(ILogger logger, int probe);

    [LoggerMessage(EventId = 105, Level = LogLevel.Debug, Message = "Recovery probe {Probe} failed ({Error})")]
    public static partial void RecoveryProbeFailed(ILogger logger, int probe, string error);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "Database circuit of {Source} isolated by hand: calls are refused until it is closed")]
    public static partial void CircuitIsolated(ILogger logger, string source);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "Database call on {Source} failed: {Kind}. {Diagnosis}")]
    public static partial void CallFailed(ILogger logger, string source, FailureKind kind, string diagnosis);

    [LoggerMessage(EventId = 108, Level = LogLevel.Information, Message = "{Source} connects through {Pooler}: {Action}. Found: {Evidence}")]
    public static partial void PoolerFound(ILogger logger, string source, string pooler, string action, string evidence);

    [LoggerMessage(EventId = 109, Level = LogLevel.Warning, Message = "{Source} could not tell whether a pooler is in front of the database ({Error}: {Message}); it tries again after the next successful open")]
    public static partial void PoolerDetectionFailed(ILogger logger, string source, string error, string message);

    [LoggerMessage(EventId = 110, Level = LogLevel.Debug, Message = "{Source} connects with no pooler in front ({Evidence})")]
    public static partial void NoPooler(ILogger logger, string source, string evidence);

    [LoggerMessage(EventId = 111, Level = LogLevel.Debug, Message = "The server certificate could not be looked at ({Message}); tried again at the next health probe")]
    public static partial void CertificateCheckFailed(ILogger logger, string message);
}
