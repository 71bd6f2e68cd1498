namespace Holdfast.Startup;

/// <summary>
/// One step of a deterministic start-up. Phases run in the order of their <see cref="Kind"/> (configuration, database,
/// table setup, health, then the service's own), in registration order within a kind, each inside its budget.
/// </summary>
public interface IStartupPhase
{
    /// <summary>The phase's name in logs, the report and <c>/health</c>.</summary>
    string Name { get; }

    /// <summary>What the phase does: its place in the order and, except for service phases, its budget.</summary>
    StartupPhaseKind Kind { get; }

    /// <summary>The budget of a <see cref="StartupPhaseKind.Service"/> phase; null takes the service-phase default.</summary>
    TimeSpan? Budget => null;

    /// <summary>
    /// True when the phase cannot run without the database: in degraded mode it is deferred and run by the recovery
    /// loop once the database answers. True for database, table-setup and health phases by default.
    /// </summary>
    bool RequiresDatabase => Kind is StartupPhaseKind.Database or StartupPhaseKind.TableSetup or StartupPhaseKind.Health;

    /// <summary>Runs the phase. Throwing fails it; the failure is classified like any database failure.</summary>
    /// <param name="context">The data sources, timeouts and budget.</param>
    /// <param name="cancellationToken">Cancelled when the budget ends or the host stops.</param>
    ValueTask RunAsync(StartupPhaseContext context, CancellationToken cancellationToken);
}
