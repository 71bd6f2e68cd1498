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
        var probe = services.GetRequiredService<DatabaseProbe>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var report = await services.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(r => r.Tags.Contains(HoldfastHealthTags.All), context.RequestAborted).ConfigureAwait(false);
        var health = HealthDocument.Create(report.Status.ToString(),
            report.Entries.ToDictionary(e => e.Key, e => $"{e.Value.Status}: {e.Value.Description}"), startup, dataSource, probe.Last);

        var since = ParseSince(context.Request.Query["since"]);
        var withHistory = context.Request.Query.ContainsKey("history");
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

        if (circuit.IsOpen)
        {
            var next = circuit.NextProbeIn is { } wait ? $"; next probe in {wait.TotalSeconds:0.0} s" : "";
            return new("Degraded", $"the circuit is {circuit.State}: calls are refused at once after {circuit.LastFailure?.Kind}{next}");
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
