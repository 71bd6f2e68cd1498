namespace Holdfast.Topology;

/// <summary>What a host of the endpoint turned out to be.</summary>
public enum HostRole
{
    /// <summary>It could not be reached or did not answer.</summary>
    Unreachable,

    /// <summary>A primary: it accepts writes.</summary>
    Primary,

    /// <summary>A standby in recovery: read-only, replaying the primary's WAL.</summary>
    Standby,
}
