namespace Holdfast.Testing;

/// <summary>What a <see cref="FaultProxy"/> does with connections.</summary>
public enum FaultMode
{
    /// <summary>Forward everything unchanged.</summary>
    Pass,

    /// <summary>Forward after a delay: before connecting upstream and before each chunk, both ways.</summary>
    Latency,

    /// <summary>Accept connections and never answer; data sent is swallowed. Open connections go silent too.</summary>
    Blackhole,

    /// <summary>Accept connections and reset them at once (TCP RST); open connections are reset when this mode is set.</summary>
    Reset,

    /// <summary>Stop listening, so connects are refused; open connections are reset when this mode is set.</summary>
    Refuse,
}
