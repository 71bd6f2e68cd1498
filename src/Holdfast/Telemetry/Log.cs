using Microsoft.Extensions.Logging;

namespace Holdfast.Telemetry;

/// <summary>Holdfast's log messages (source-generated).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Message = "Alert {Rule} is {AlertLevel}: connect time {ValueSeconds:0.###} s against {ThresholdSeconds:0.###} s on {Source}")]
    public static partial void Alert(ILogger logger, LogLevel level, string rule, AlertLevel alertLevel, double valueSeconds, double thresholdSeconds, string source);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Alert sink {Sink} failed to deliver {Rule}")]
    public static partial void AlertSinkFailed(ILogger logger, Exception exception, string sink, string rule);
}
