namespace Holdfast.Resilience;

/// <summary>A change of the circuit's state, reported by <see cref="CircuitController"/>.</summary>
internal enum CircuitTransition
{
    /// <summary>Opened after consecutive failures, or reopened by a failed probe.</summary>
    Opened,

    /// <summary>The break ended: one probe call goes through.</summary>
    HalfOpened,

    /// <summary>Closed: the database answers again.</summary>
    Closed,

    /// <summary>Opened by hand.</summary>
    Isolated,
}
