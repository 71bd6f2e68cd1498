using Microsoft.Extensions.Logging;

namespace Holdfast.Telemetry;

/// <summary>The default sink: raised alerts as warnings or errors, resolutions as information.</summary>
/// <param name="logger">The logger.</param>
public sealed class LoggingAlertSink(ILogger logger) : IAlertSink
{
    /// <inheritdoc />
    public ValueTask SendAsync(HoldfastAlert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var level = alert.Level switch
        {
            AlertLevel.Critical => LogLevel.Error,
            AlertLevel.Warning => LogLevel.Warning,
            _ => LogLevel.Information,
        };
        Log.Alert(logger, level, alert.Rule, alert.Level, alert.Value.TotalSeconds, alert.Threshold.TotalSeconds, alert.Source);
        return ValueTask.CompletedTask;
    }
}
