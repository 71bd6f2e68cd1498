namespace Holdfast.Chaos;

/// <summary>What one fault did to the service under load; times in seconds from the fault's start.</summary>
internal sealed record FaultResult(
    string Fault,
    double FaultSeconds,
    int Requests,
    IReadOnlyDictionary<string, int> ByStatus,
    double? First503Seconds,
    double P50Ms,
    double P99Ms,
    double MaxMs,
    double? RecoverySeconds,
    int Other5xx,
    int NoAnswer,
    int Missing503RetryAfter,
    int ConnectionsBefore,
    int ConnectionsPeak,
    int ConnectionsAfter,
    double ConnectionsSettledSeconds,
    double RssBeforeMiB,
    double RssAfterMiB);
