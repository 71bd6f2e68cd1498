using Holdfast.Telemetry;
using Microsoft.Extensions.Logging;

namespace Holdfast.Resilience;

/// <summary>What a <see cref="GuardedPipeline"/> needs from the data source that hosts it.</summary>
internal sealed class GuardedPipelineSettings
{
    public required string Name { get; init; }

    public required HoldfastDataSourceOptions Options { get; init; }

    /// <summary>The per-attempt timeout of attempt n (from 0) of the given operation.</summary>
    public required Func<string, int, TimeSpan> AttemptTimeout { get; init; }

    /// <summary>The default budget of the given operation.</summary>
    public required Func<string, TimeSpan> Budget { get; init; }

    /// <summary>A real connect + <c>SELECT 1</c>, for the recovery loop; none disables it.</summary>
    public Func<CancellationToken, Task>? RecoveryProbe { get; init; }

    /// <summary>The endpoint, for classification and redaction.</summary>
    public DatabaseEndpoint? Endpoint { get; init; }

    /// <summary>The main pool's size: where the pacer's slow start ends.</summary>
    public int PoolSize { get; init; } = 100;

    /// <summary>A random number in [0, 1) for jitter.</summary>
    public Func<double> Jitter { get; init; } = static () => Random.Shared.NextDouble();

    /// <summary>Called once per failed attempt that reached the database path (for history and alerts).</summary>
    public Action<DatabaseFailure, FailureOperation>? OnFailure { get; init; }

    /// <summary>Called when the circuit opens (e.g. to clear the pool of connections to the failed path).</summary>
    public Action? OnCircuitOpened { get; init; }

    public required HoldfastInstruments Instruments { get; init; }

    public required ILogger Logger { get; init; }

    /// <summary>True once a check found no pooler in front: a prepared-statement clash is then the operation's own error.</summary>
    public Func<bool>? KnownWithoutPooler { get; init; }

    /// <summary>
    /// After an authentication failure: true when the password provider was asked to refresh (a token that worked before
    /// was refused), so one more attempt is worth it; none without a provider.
    /// </summary>
    public Func<bool>? RefreshCredentials { get; init; }
}
