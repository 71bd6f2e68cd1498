using Holdfast.AspNetCore.Health;
using Holdfast.Startup;
using Holdfast.Timeline;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Holdfast.AspNetCore.Dashboard;

/// <summary>Builds the dashboard's JSON document (<see cref="ConnectivityView"/>) for one request.</summary>
internal static class DashboardState
{
    public static async Task WriteAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var dataSource = services.GetRequiredService<HoldfastDataSource>();
        var startup = services.GetRequiredService<StartupOrchestrator>();
        var recorder = services.GetRequiredService<ConnectivityRecorder>();
        // Mapped after the host started (the hosted service had nothing to start then): from the first request on.
        recorder.Start();
        var probe = services.GetRequiredService<DatabaseProbe>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        // Never waits on the database: the page must keep refreshing when it goes silent. Liveness and start-up are read
        // at once; readiness comes from the last completed probe while a fresh one (shared, cached 1 s) runs behind.
        _ = probe.ProbeAsync();
        var report = await services.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(r => r.Tags.Contains(HoldfastHealthTags.Live) || r.Tags.Contains(HoldfastHealthTags.Startup), context.RequestAborted).ConfigureAwait(false);
        var ready = ReadinessCheck.Judge(startup.Report, dataSource.Status, probe.Last);
        var checks = report.Entries.ToDictionary(e => e.Key, e => $"{e.Value.Status}: {e.Value.Description}");
        checks["ready"] = $"{ready.Status}: {ready.Description}";
        var status = ready.Status < report.Status ? ready.Status : report.Status;
        var health = HealthDocument.Create(status.ToString(), checks, startup, dataSource, probe.Last);

        recorder.Flush();
        var since = ParseSince(context.Request.Query["since"]);
        var withHistory = context.Request.Query["history"].ToString() is "1" or "true";
        var view = new ConnectivityView(
            Version: 1,
            Source: "service",
            GeneratedAt: now,
            Environment: health.Environment,
            Endpoint: dataSource.Endpoint.ToString(),
            Verdict: Verdict(startup.Report, dataSource.Status, probe.Last),
            Thresholds: ConnectivityView.ThresholdsOf(dataSource.AlertRules),
            Recent: TimelineView.Of(recorder.Recent, now, since),
            History: withHistory ? TimelineView.Of(recorder.History, now) : null,
            Health: health);

        context.Response.ContentType = "application/json; charset=utf-8";
        await System.Text.Json.JsonSerializer.SerializeAsync(context.Response.Body, view, ConnectivityView.Json, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The verdict at a glance: start-up first, then the circuit, then the database's last answer.</summary>
    public static ConnectivityVerdict Verdict(StartupReport report, CircuitStatus circuit, DatabaseProbeResult? probe)
    {
        switch (report.Outcome)
        {
            case StartupOutcome.Starting:
                return new("Starting", $"start-up is running: {report.Phases.Count(p => p.Status != PhaseStatus.Pending)} of {report.Phases.Count} phases begun");
            case StartupOutcome.Failed:
                var failed = report.FirstFailure;
                return new("Failed", $"start-up failed in '{failed?.Name}': {failed?.Failure?.Kind} — {failed?.Failure?.Diagnosis}");
            case StartupOutcome.Degraded:
                return new("Degraded", $"started without the database ({report.Bypass?.Rule}); recovering in the background");
        }

        if (circuit.State == CircuitState.Isolated)
        {
            return new("Degraded", "the circuit was isolated by hand: calls are refused at once until it is closed by hand");
        }

        if (circuit.IsOpen)
        {
            var next = circuit.NextProbeIn is { } wait ? $"; next probe in {wait.TotalSeconds:0.0} s" : "";
            var after = circuit.LastFailure is { } failure ? $" after {failure.Kind}" : "";
            return new("Degraded", $"the circuit is open: calls are refused at once{after}{next}");
        }

        if (circuit.State == CircuitState.HalfOpen)
        {
            return new("Degraded", "the circuit is half-open: one call is testing the database");
        }

        return probe is { Answers: false }
            ? new("Degraded", $"the database does not answer the health probe: {probe.Failure?.Kind}")
            : new("Ready", probe is null ? "every start-up phase succeeded" : $"every start-up phase succeeded; the database answers in {probe.Latency.TotalMilliseconds:0.#} ms");
    }

    private static DateTimeOffset? ParseSince(string? value) =>
        long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms) && ms <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
}
