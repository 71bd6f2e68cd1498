using Holdfast.Startup;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Holdfast.AspNetCore.Health;

/// <summary>The tags that route Holdfast's checks to <c>/health/live</c>, <c>/health/ready</c> and <c>/health/startup</c>.</summary>
public static class HoldfastHealthTags
{
    /// <summary>Every Holdfast check.</summary>
    public const string All = "holdfast";

    /// <summary>Liveness: the process runs.</summary>
    public const string Live = "live";

    /// <summary>Readiness: started, circuit not open, database answering.</summary>
    public const string Ready = "ready";

    /// <summary>Start-up: the phases have run (ready or degraded).</summary>
    public const string Startup = "startup";
}

/// <summary>The process runs. It never touches the database: a database outage must not get the container killed.</summary>
internal sealed class LivenessCheck : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(HealthCheckResult.Healthy("the process is running"));
}

/// <summary>Start-up has decided: healthy when ready, degraded when started without the database, unhealthy while starting or failed.</summary>
internal sealed class StartupCheck(StartupOrchestrator startup) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var report = startup.Report;
        return Task.FromResult(report.Outcome switch
        {
            StartupOutcome.Ready => HealthCheckResult.Healthy("every start-up phase succeeded"),
            StartupOutcome.Degraded => HealthCheckResult.Degraded($"started degraded: {report.Bypass?.Rule}"),
            StartupOutcome.Failed => HealthCheckResult.Unhealthy($"start-up failed in {report.FirstFailure?.Name}"),
            _ => HealthCheckResult.Unhealthy("starting"),
        });
    }
}

/// <summary>Ready: start-up done, and the database answers the (shared, cached) probe, which also closes an open circuit.</summary>
internal sealed class ReadinessCheck(StartupOrchestrator startup, HoldfastDataSource dataSource, DatabaseProbe probe) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (startup.Report.Outcome != StartupOutcome.Ready)
        {
            return Judge(startup.Report, dataSource.Status, probe.Last);
        }

        if (dataSource.Status.IsOpen)
        {
            // Answer at once; the shared probe still runs in the background and closes the circuit when the database answers.
            _ = probe.ProbeAsync();
            return Judge(startup.Report, dataSource.Status, probe.Last);
        }

        var result = await probe.ProbeAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return Judge(startup.Report, dataSource.Status, result);
    }

    /// <summary>
    /// Readiness from a probe's result: start-up first, then the circuit, then the database's answer. The dashboard
    /// judges with the last completed probe, so it never waits on the database.
    /// </summary>
    public static HealthCheckResult Judge(StartupReport report, CircuitStatus circuit, DatabaseProbeResult? probe) =>
        report.Outcome != StartupOutcome.Ready ? HealthCheckResult.Unhealthy($"start-up is {report.Outcome.ToString().ToLowerInvariant()}")
        : circuit.IsOpen ? HealthCheckResult.Unhealthy("the circuit is open")
        : probe is null ? HealthCheckResult.Degraded("the database has not been probed yet")
        : probe.Answers ? HealthCheckResult.Healthy($"the database answered in {probe.Latency.TotalMilliseconds:0.#} ms")
        : HealthCheckResult.Unhealthy($"the database does not answer: {probe.Failure?.Kind}");
}
