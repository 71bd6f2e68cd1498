using System.Text.Json.Serialization;

namespace Holdfast.Fleet;

/// <summary>What one fault did to the fleet; times in seconds from the fault's start (all_ready_s: from the database accepting again).</summary>
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
    string Note);
