using Holdfast.Configuration;
using Holdfast.Resilience;
using Holdfast.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Holdfast.Startup;

/// <summary>
/// Runs start-up: an ordered, deterministic sequence of phases (configuration, database, table setup, health, then
/// the service's own), each inside its budget, ending Ready, Degraded (as the bypass policy allows) or Failed. In
/// degraded mode <see cref="RecoverAsync"/> reconnects with backoff, runs the deferred phases and turns Ready by itself.
/// Start-up never hangs past its budgets.
/// </summary>
public sealed partial class StartupOrchestrator
{
    private readonly IReadOnlyList<IStartupPhase> phases;
    private readonly HoldfastDataSource dataSource;
    private readonly NpgsqlDataSource adminDataSource;
    private readonly StartupOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly IServiceProvider? services;
    private readonly HoldfastInstruments instruments;
    private StartupReport report;
    private long nextRecoveryAtTicks;

    /// <summary>Creates the orchestrator; the configuration, database and health phases are built in.</summary>
    /// <param name="phases">The service's phases (table setup, its own); built-ins of the same kind run first.</param>
    /// <param name="dataSource">The guarded data source.</param>
    /// <param name="adminDataSource">The admin data source, for table setup.</param>
    /// <param name="options">Start-up options.</param>
    /// <param name="logger">One line per phase goes here.</param>
    /// <param name="services">The service provider, passed to phases.</param>
    /// <param name="instruments">Where phase durations are reported; the shared instruments when null.</param>
    internal StartupOrchestrator(IEnumerable<IStartupPhase> phases, HoldfastDataSource dataSource, NpgsqlDataSource adminDataSource,
        StartupOptions? options = null, ILogger? logger = null, IServiceProvider? services = null, HoldfastInstruments? instruments = null)
    {
        ArgumentNullException.ThrowIfNull(phases);
        this.dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        this.adminDataSource = adminDataSource ?? throw new ArgumentNullException(nameof(adminDataSource));
        this.options = options ?? new StartupOptions();
        this.logger = logger ?? NullLogger.Instance;
        this.services = services;
        this.instruments = instruments ?? HoldfastInstruments.Shared;
        time = dataSource.Options.TimeProvider;
        IStartupPhase[] builtIn = [new ConfigurationPhase(), new DatabasePhase(), new HealthPhase()];
        this.phases = [.. builtIn.Concat(phases).OrderBy(p => p.Kind)];
        var names = this.phases.GroupBy(p => p.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (names.Count > 0)
        {
            throw new ArgumentException($"Start-up phase names must be unique; repeated: {string.Join(", ", names)}.", nameof(phases));
        }

        report = new StartupReport(dataSource.Timeouts.Environment, StartupOutcome.Starting,
            [.. this.phases.Select(p => new StartupPhaseReport(p.Name, p.Kind, PhaseStatus.Pending, BudgetOf(p), TimeSpan.Zero, null))],
            null, dataSource.Timeouts.Settings, time.GetUtcNow(), null, null, 0);
    }

    /// <summary>The report as it stands.</summary>
    public StartupReport Report => Volatile.Read(ref report);

    /// <summary>Raised after every change of the report (a phase finished, the outcome changed).</summary>
    public event Action<StartupReport>? Changed;

    /// <summary>In degraded mode, when the recovery loop next tries the database.</summary>
    public DateTimeOffset? NextRecoveryAt =>
        Interlocked.Read(ref nextRecoveryAtTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>Runs every phase in order and decides the outcome.</summary>
    /// <param name="cancellationToken">Stops start-up (the host is stopping).</param>
    /// <returns>The report: Ready, Degraded or Failed.</returns>
    internal async Task<StartupReport> RunAsync(CancellationToken cancellationToken)
    {
        Log.Starting(logger, dataSource.Timeouts.Environment.ToName(), dataSource.Timeouts.EnvironmentSource, dataSource.Endpoint.ToString());
        var failures = new List<FailureKind>();
        var databaseMissing = false;
        for (var i = 0; i < phases.Count; i++)
        {
            var phase = phases[i];
            if (phase.RequiresDatabase && databaseMissing)
            {
                Update(i, PhaseStatus.Deferred, TimeSpan.Zero, null);
                continue;
            }

            var result = await RunPhaseAsync(i, failures, cancellationToken).ConfigureAwait(false);
            if (result is { } failure)
            {
                failures.Add(failure.Kind);
                databaseMissing |= phase.RequiresDatabase;
                if (failure.IsPermanent)
                {
                    return Decide(failures, skipFrom: i + 1);
                }
            }
        }

        return Decide(failures, skipFrom: phases.Count);
    }

    /// <summary>
    /// In degraded mode: reconnects with backoff (a real connect + <c>SELECT 1</c> that bypasses the circuit), closes the
    /// circuit, runs the deferred phases and turns Ready. Returns when Ready or Failed (a deferred phase failed for a
    /// permanent reason) or when cancelled; does nothing unless the outcome is Degraded.
    /// </summary>
    /// <param name="cancellationToken">Stops the loop.</param>
    internal async Task<StartupReport> RecoverAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; Report.Outcome == StartupOutcome.Degraded && !cancellationToken.IsCancellationRequested; attempt++)
        {
            var delay = Backoff.Ceiling(attempt, options.RecoveryInitialDelay, options.RecoveryMaxDelay);
            Interlocked.Exchange(ref nextRecoveryAtTicks, (time.GetUtcNow() + delay).UtcTicks);
            try
            {
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            Publish(Report with { RecoveryAttempts = attempt + 1 });
            if (!await DatabaseAnswersAsync(cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            if (dataSource.Status.IsOpen)
            {
                await dataSource.CloseCircuitAsync().ConfigureAwait(false);
            }

            await RunDeferredAsync(cancellationToken).ConfigureAwait(false);
        }

        Interlocked.Exchange(ref nextRecoveryAtTicks, 0);
        return Report;
    }

    private async Task<bool> DatabaseAnswersAsync(CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(dataSource.EffectiveTimeouts.Connection, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            await dataSource.ProbeAsync(linked.Token).WaitAsync(linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Log.RecoveryAttemptFailed(logger, Report.RecoveryAttempts, FailureClassifier.ClassifyKind(ex, dataSource.Endpoint));
            return false;
        }
    }

    private async Task RunDeferredAsync(CancellationToken cancellationToken)
    {
        var failures = new List<FailureKind>();
        for (var i = 0; i < phases.Count; i++)
        {
            if (Report.Phases[i].Status != PhaseStatus.Deferred && Report.Phases[i].Status != PhaseStatus.Failed)
            {
                continue;
            }

            if (await RunPhaseAsync(i, failures, cancellationToken).ConfigureAwait(false) is { } failure)
            {
                if (failure.IsPermanent)
                {
                    Publish(Report with { Outcome = StartupOutcome.Failed, CompletedAt = time.GetUtcNow() });
                }

                return;
            }
        }

        Publish(Report with { Outcome = StartupOutcome.Ready, RecoveredAt = time.GetUtcNow() });
        Log.Recovered(logger, Report.RecoveryAttempts);
    }

    private StartupReport Decide(List<FailureKind> failures, int skipFrom)
    {
        for (var i = skipFrom; i < phases.Count; i++)
        {
            Update(i, PhaseStatus.Skipped, TimeSpan.Zero, null);
        }

        var bypass = failures.Count == 0 ? null : BypassPolicy.Decide(Report.Environment, failures, options.BypassRequested);
        var outcome = failures.Count == 0 ? StartupOutcome.Ready : bypass!.Allowed ? StartupOutcome.Degraded : StartupOutcome.Failed;
        Publish(Report with { Outcome = outcome, Bypass = bypass, CompletedAt = time.GetUtcNow() });
        Log.Outcome(logger, outcome, bypass?.Rule ?? "every phase succeeded");
        return Report;
    }
}
