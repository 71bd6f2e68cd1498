namespace Holdfast.Fleet;

/// <summary>What one fault did to the fleet; times in seconds from the fault's start (all_ready_s: from the database accepting again).</summary>
internal sealed record FleetResult(
    string Fault,
    string Mode,
    int Replicas,
    int PoolSize,
    int Requests,
    IReadOnlyDictionary<string, int> ByStatus,
    int Other5xx,
    int Unanswered,
    int Missing503RetryAfter,
    int TooManyClients,
    double? First503S,
    double? AllReadyS,
    int PeakServerConnections,
    int MaxConnections,
    int MaxAttemptsPer100ms,
    int FleetMaxAttemptsPer100ms,
    int DiscoveryAttempts,
    string Note);
