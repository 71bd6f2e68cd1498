using Holdfast.Topology;

namespace Holdfast.AspNetCore.Health;

/// <summary>The result of one health probe of the database.</summary>
/// <param name="Answers">True when a connection opened and the probe's query answered within the health-check timeout.</param>
/// <param name="Latency">How long the probe took.</param>
/// <param name="CheckedAt">When it finished.</param>
/// <param name="Failure">Why it failed, redacted.</param>
internal sealed record DatabaseProbeResult(bool Answers, TimeSpan Latency, DateTimeOffset CheckedAt, DatabaseFailure? Failure)
{
    /// <summary>For an endpoint with several hosts: what each one is (primary, standby, unreachable), probed on its own.</summary>
    public IReadOnlyList<HostState>? Hosts { get; init; }
}
