using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Holdfast.Configuration;
using Holdfast.Telemetry;
using Holdfast.Timeline;

namespace Holdfast.Cli.Monitor;

/// <summary>
/// Writes a monitor run as one static page: the service dashboard's own page, style and script (the same files,
/// embedded in this tool too), with the run's samples embedded as its data instead of a live endpoint. Opens offline;
/// its Content-Security-Policy allows exactly its own inline style and script (by hash) and nothing from anywhere.
/// </summary>
internal static class MonitorHtml
{
    public static string Render(MonitorSession session, DateTimeOffset endedAt)
    {
        var view = View(session, endedAt);
        var style = Read("dashboard.css");
        var script = Read("dashboard.js");
        var policy = $"default-src 'none'; style-src '{Hash(style)}'; script-src '{Hash(script)}'; img-src data:; base-uri 'none'; form-action 'none'";
        var head = $"<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">\n<link rel=\"icon\" href=\"data:,\">\n" +
                   $"<style>{style}</style>\n<script>{script}</script>";
        // The JSON serializer escapes <, > and &, so the data cannot close its script element.
        var data = $"<script type=\"application/json\" id=\"holdfast-data\">{JsonSerializer.Serialize(view, ConnectivityView.Json)}</script>";
        return Read("dashboard.html")
            .Replace("{{HEAD}}", head, StringComparison.Ordinal)
            .Replace("{{BODY}}", "data-source=\"monitor\"", StringComparison.Ordinal)
            .Replace("{{DATA}}", data, StringComparison.Ordinal);
    }

    /// <summary>The run as the dashboard's document: one point per sample interval, the environment's thresholds.</summary>
    public static ConnectivityView View(MonitorSession session, DateTimeOffset endedAt)
    {
        var samples = session.Samples;
        // The whole run, however long it overran its duration (a last sample may wait out a connect timeout).
        var last = samples.Count > 0 ? samples[^1].At : endedAt;
        var span = Max(session.Duration, Max(endedAt, last) - session.StartedAt) + (session.Interval * 2);
        var ring = new TimelineRing(session.Interval, span);
        foreach (var sample in samples)
        {
            if (sample.Ok)
            {
                ring.Record(TimelineSeries.Connect, sample.At, sample.Connect);
                ring.Record(TimelineSeries.Operation, sample.At, sample.Query);
            }
            else if (sample.FailureKind is { } kind)
            {
                // The sample's attempts failed with this kind (the last of them may have opened the circuit).
                ring.RecordFailure(sample.At, HoldfastInstruments.KindTag(kind), Math.Max(1, sample.Attempts));
            }
            else if (sample.Outcome == SampleOutcome.Rejected)
            {
                ring.RecordRejected(sample.At);
            }
            else
            {
                ring.RecordFailure(sample.At, "unknown");
            }

            ring.Sample(sample.At, pool: null, sample.Breaker);
        }

        return new ConnectivityView(
            Version: 1,
            Source: "monitor",
            GeneratedAt: endedAt,
            Environment: session.Timeouts.Environment.ToName(),
            Endpoint: session.Endpoint.ToString(),
            Verdict: Verdict(samples),
            Thresholds: ConnectivityView.ThresholdsOf([session.Rule]),
            Recent: TimelineView.Of(ring, Max(endedAt, last)),
            History: null,
            Health: null);
    }

    private static ConnectivityVerdict Verdict(IReadOnlyList<MonitorSample> samples)
    {
        var failed = samples.Count(s => !s.Ok);
        var summary = $"{samples.Count - failed} of {samples.Count} samples answered";
        return samples.LastOrDefault() switch
        {
            null => new("Starting", "no sample was taken"),
            { Ok: true } last => new("Ready", $"{summary}; the last in {last.ConnectMs:0.#} ms to connect"),
            { FailureKind: { } kind } when kind.IsPermanent() => new("Failed", $"{summary}; the last failed: {kind} (retrying will not help)"),
            var last => new("Degraded", $"{summary}; the last {(last.Outcome == SampleOutcome.Rejected ? "was refused by the open circuit" : $"failed: {last.FailureKind}")}"),
        };
    }

    private static T Max<T>(T a, T b) where T : IComparable<T> => a.CompareTo(b) >= 0 ? a : b;

    private static string Hash(string inline) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(inline)));

    private static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Holdfast.Dashboard.{name}")
            ?? throw new InvalidOperationException($"The dashboard's {name} is not embedded in the holdfast tool.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
