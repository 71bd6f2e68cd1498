namespace Holdfast.Topology;

/// <summary>One host of an endpoint as a probe found it.</summary>
public sealed record HostState
{
    internal HostState(DatabaseHost host, HostRole role, TimeSpan latency, long? replayLagBytes, TimeSpan? lastReplayAge, DatabaseFailure? failure)
    {
        Host = host;
        Role = role;
        Latency = latency;
        ReplayLagBytes = replayLagBytes;
        LastReplayAge = lastReplayAge;
        Failure = failure;
    }

    /// <summary>The host.</summary>
    public DatabaseHost Host { get; init; }

    /// <summary>Primary, standby, or unreachable.</summary>
    public HostRole Role { get; init; }

    /// <summary>Connect and query time.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>For a standby: WAL received but not yet replayed, in bytes.</summary>
    public long? ReplayLagBytes { get; init; }

    /// <summary>For a standby: how long ago the last replayed transaction committed on the primary (grows while the primary is idle).</summary>
    public TimeSpan? LastReplayAge { get; init; }

    /// <summary>Why it is unreachable, redacted.</summary>
    public DatabaseFailure? Failure { get; init; }

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
