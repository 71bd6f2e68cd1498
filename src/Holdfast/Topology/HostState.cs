using Holdfast.Configuration;
using Holdfast.Faults;

namespace Holdfast.Topology;

/// <summary>One host of an endpoint as a probe found it.</summary>
/// <param name="Host">The host.</param>
/// <param name="Role">Primary, standby, or unreachable.</param>
/// <param name="Latency">Connect and query time.</param>
/// <param name="ReplayLagBytes">For a standby: WAL received but not yet replayed, in bytes.</param>
/// <param name="LastReplayAge">For a standby: how long ago the last replayed transaction committed on the primary (grows while the primary is idle).</param>
/// <param name="Failure">Why it is unreachable, redacted.</param>
public sealed record HostState(DatabaseHost Host, HostRole Role, TimeSpan Latency, long? ReplayLagBytes, TimeSpan? LastReplayAge, DatabaseFailure? Failure)
{
    /// <summary>One line, e.g. <c>10.0.0.2:5432 standby, replay lag 0 B, last replay 0.4 s ago</c>.</summary>
    public override string ToString() => Role switch
    {
        HostRole.Primary => $"{Host} primary ({Latency.TotalMilliseconds:0.#} ms)",
        HostRole.Standby => $"{Host} standby ({Latency.TotalMilliseconds:0.#} ms)" +
                            (ReplayLagBytes is { } lag ? $", replay lag {lag} B" : "") +
                            (LastReplayAge is { } age ? $", last replayed commit {age.TotalSeconds:0.#} s old" : ""),
        _ => $"{Host} unreachable: {Failure?.Kind.ToString() ?? "no answer"}",
    };
}
