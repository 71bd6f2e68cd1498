using Holdfast.Telemetry;
using Holdfast.Timeouts;

namespace Holdfast.Startup;

public sealed partial class StartupOrchestrator
{
    /// <summary>How long after its budget a phase that ignores its cancellation token is abandoned.</summary>
    private static readonly TimeSpan AbandonGrace = TimeSpan.FromMilliseconds(500);

    /// <summary>Runs phase <paramref name="index"/> inside its budget; returns its failure, or null when it succeeded.</summary>
    private async Task<DatabaseFailure?> RunPhaseAsync(int index, IReadOnlyList<FailureKind> failuresSoFar, CancellationToken cancellationToken)
    {
        var phase = phases[index];
        var budget = BudgetOf(phase);
        Update(index, PhaseStatus.Running, TimeSpan.Zero, null);
        var context = new StartupPhaseContext(dataSource, adminDataSource, budget,
            kind => BypassPolicy.Decide(Report.Environment, [.. failuresSoFar, kind], options.BypassRequested).Allowed, services, time);
        var started = time.GetTimestamp();
        using var deadline = new CancellationTokenSource(budget, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        DatabaseFailure? failure = null;
        try
        {
            // The token ends the phase at its budget, and a well-behaved phase reports its own last failure then. WaitAsync
            // abandons a phase that ignores its token (a synchronous call) a moment later, so start-up never hangs.
            await phase.RunAsync(context, linked.Token).AsTask().WaitAsync(budget + AbandonGrace, time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            failure = ex switch
            {
                DatabaseConnectionException connection => connection.Failure,
                TimeoutException or OperationCanceledException => FailureClassifier.FromKind(FailureKind.Timeout,
                    $"phase '{phase.Name}' did not finish within its {DurationText.Format(budget)} budget", dataSource.Endpoint),
                _ => FailureClassifier.Classify(ex, dataSource.Endpoint, phase.Kind == StartupPhaseKind.Database ? FailureOperation.Connect : FailureOperation.Command),
            };
        }

        var elapsed = time.GetElapsedTime(started);
        var status = failure is null ? PhaseStatus.Succeeded : PhaseStatus.Failed;
        Update(index, status, elapsed, failure);
        instruments.StartupPhaseDuration.Record(elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("holdfast.startup.phase", phase.Name),
            new KeyValuePair<string, object?>("holdfast.startup.status", status == PhaseStatus.Succeeded ? "succeeded" : "failed"),
            new KeyValuePair<string, object?>(HoldfastInstruments.DataSourceTag, dataSource.Name));
        if (failure is null)
        {
            if (phase.Kind == StartupPhaseKind.Database)
            {
                // The first look at the server's certificate: /health shows its expiry from the start.
                dataSource.Certificate.RefreshIfDue();
            }

            Log.PhaseSucceeded(logger, phase.Name, elapsed.TotalMilliseconds, budget.TotalSeconds);
        }
        else
        {
            Log.PhaseFailed(logger, phase.Name, failure.Kind, elapsed.TotalMilliseconds, budget.TotalSeconds, failure.Diagnosis);
        }

        return failure;
    }

    private TimeSpan BudgetOf(IStartupPhase phase)
    {
        var profile = dataSource.EffectiveTimeouts;
        return phase.Kind switch
        {
            StartupPhaseKind.Configuration => options.ConfigurationBudget,
            StartupPhaseKind.Database => profile.Initialization,
            StartupPhaseKind.TableSetup => profile.TableSetup,
            StartupPhaseKind.Health => profile.HealthCheck,
            _ => phase.Budget ?? options.ServicePhaseBudget,
        };
    }

    private void Update(int index, PhaseStatus status, TimeSpan duration, DatabaseFailure? failure)
    {
        var current = Report;
        var phasesNow = current.Phases.ToArray();
        phasesNow[index] = phasesNow[index] with { Status = status, Duration = duration, Failure = failure };
        Publish(current with { Phases = phasesNow });
    }

    private void Publish(StartupReport next)
    {
        Volatile.Write(ref report, next);
        Changed?.Invoke(next);
    }
}
