using Holdfast.AspNetCore.Telemetry;
using Holdfast.Startup;
using Microsoft.Extensions.Hosting;

namespace Holdfast.AspNetCore.Hosting;

/// <summary>
/// Runs start-up in the background while the server listens (so <c>/health/live</c> and <c>/health/startup</c>
/// answer from the first second). Failed: the diagnosis goes to stderr, the exit code is set (4 permanent, 3
/// transient) and the host stops. Degraded: the recovery loop runs until the service is ready. Ready: the admin pool's
/// connections (schema set-up, migrations) are closed, so a serving instance holds only its pool and its health pool —
/// what <c>holdfast plan</c> counts per instance.
/// </summary>
#pragma warning disable CS9113 // The readiness gauge lives as long as the service that runs start-up: taking it creates it.
internal sealed class HoldfastStartupService(StartupOrchestrator orchestrator, HoldfastAdminDataSource admin, IHostApplicationLifetime lifetime,
    ReadinessGauge readiness) : BackgroundService
#pragma warning restore CS9113
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            var report = await orchestrator.RunAsync(stoppingToken).ConfigureAwait(false);
            if (report.Outcome == StartupOutcome.Degraded)
            {
                report = await orchestrator.RecoverAsync(stoppingToken).ConfigureAwait(false);
            }

            if (report.Outcome == StartupOutcome.Failed)
            {
                Fail(new DeterministicStartupException(report));
            }
            else if (report.Outcome == StartupOutcome.Ready)
            {
                admin.DataSource.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    private void Fail(DeterministicStartupException failure)
    {
        Environment.ExitCode = failure.ExitCode;
        Console.Error.WriteLine($"holdfast: {failure.Message}");
        lifetime.StopApplication();
    }
}
