namespace Holdfast.Telemetry;

/// <summary>
/// Where alerts go (a log, a pager, a chat webhook). Delivery happens off the caller's path; a sink that throws
/// or hangs is reported to the log and never breaks a database call.
/// </summary>
public interface IAlertSink
{
    /// <summary>Delivers one alert.</summary>
    /// <param name="alert">The alert.</param>
    /// <param name="cancellationToken">Cancelled when delivery takes too long or the source is disposed.</param>
    ValueTask SendAsync(HoldfastAlert alert, CancellationToken cancellationToken);
}
