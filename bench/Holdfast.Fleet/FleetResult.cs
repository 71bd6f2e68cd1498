using System.Text.Json.Serialization;

namespace Holdfast.Fleet;

/// <summary>
/// What one fault did to the fleet; times in seconds from the fault's start (all_ready_s: from the database accepting
/// again). Alerts: what the repository's Prometheus rules did, scraping every replica (each alert's first pending and
/// firing, seconds from the end of the warm-up); capacity share: every replica's pools' maximums over the server's limit.
/// </summary>
internal sealed record FleetResult(
    string Fault,
    string Mode,
    int Replicas,
    int PoolSize,
    int Requests,
    IReadOnlyDictionary<string, int> ByStatus,
    [property: JsonPropertyName("other_5xx")] int Other5xx,
    int Unanswered,
    [property: JsonPropertyName("missing_503_retry_after")] int Missing503RetryAfter,
    int TooManyClients,
    [property: JsonPropertyName("first_503_s")] double? First503S,
    double? AllReadyS,
    int PeakServerConnections,
    int MaxConnections,
    [property: JsonPropertyName("max_attempts_per_100ms")] int MaxAttemptsPer100ms,
    [property: JsonPropertyName("fleet_max_attempts_per_100ms")] int FleetMaxAttemptsPer100ms,
    int DiscoveryAttempts,
    IReadOnlyDictionary<string, string>? Alerts,
    double? CapacityShare,
    string Note);
