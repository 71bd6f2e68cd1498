namespace Holdfast.Startup;

/// <summary>What a start-up phase does; it fixes the phase's place in the order and its budget.</summary>
public enum StartupPhaseKind
{
    /// <summary>Reading and checking configuration. No database; a few seconds at most.</summary>
    Configuration,

    /// <summary>Reaching the database: budget = the initialization timeout.</summary>
    Database,

    /// <summary>Schema set-up and migrations, on the admin data source: budget = the table-setup timeout.</summary>
    TableSetup,

    /// <summary>A last check that the database answers: budget = the health-check timeout.</summary>
    Health,

    /// <summary>The service's own work (warming caches, ...): budget = the phase's own or the service-phase default.</summary>
    Service,
}
