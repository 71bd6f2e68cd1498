using System.Globalization;
using Holdfast.Configuration;
using Holdfast.Telemetry;
using Holdfast.Timeouts;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Holdfast.Cli.Monitor;

/// <summary>The monitor for people: a live table on a terminal, one line per sample in a pipe, then the trend report.</summary>
internal static class MonitorConsoleView
{
    public static void Header(IAnsiConsole console, MonitorSession session) =>
        console.MarkupLine($"[bold]holdfast monitor[/] — {Markup.Escape(session.Endpoint.ToString())}, environment {session.Timeouts.Environment.ToName()}, " +
                           $"every {DurationText.Format(session.Interval)} for {DurationText.Format(session.Duration)}; alert rule {session.Rule.Name}: " +
                           $"warning > {DurationText.Format(session.Rule.Warning)}, critical > {DurationText.Format(session.Rule.Critical)}. Ctrl-C ends it with the report.");

    public static IRenderable Table(MonitorSession session)
    {
        var samples = session.Samples;
        var ok = samples.Where(s => s.Ok).Select(s => s.Connect).ToList();
        var summary = LatencySummary.From(ok);
        var last = samples.LastOrDefault();
        var table = new Table().Border(TableBorder.Rounded).AddColumns("samples", "last", "p50", "p95", "max", "failures", "breaker", "alerts");
        table.AddRow(
            samples.Count.ToString(CultureInfo.InvariantCulture),
            last is null ? "-" : last.Ok ? DurationText.Format(last.Connect) : $"[red]{last.FailureKind}[/]",
            DurationText.Format(summary.P50),
            DurationText.Format(summary.P95),
            DurationText.Format(summary.Max),
            Markup.Escape(Failures(samples)),
            session.Breaker.ToString(),
            Markup.Escape(Alerts(session)));
        return table;
    }

    public static void Line(TextWriter output, MonitorSession session, MonitorSample sample)
    {
        var ok = session.Samples.Where(s => s.Ok).Select(s => s.Connect).ToList();
        var summary = LatencySummary.From(ok);
        var outcome = sample.Ok
            ? $"ok connect {DurationText.Format(sample.Connect)} query {DurationText.Format(sample.Query)}"
            : $"{sample.Outcome.ToString().ToLowerInvariant()} {sample.FailureKind} after {DurationText.Format(sample.Connect)}";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{sample.At:HH:mm:ss} {outcome} | p50 {DurationText.Format(summary.P50)} p95 {DurationText.Format(summary.P95)} max {DurationText.Format(summary.Max)} | failures {Failures(session.Samples)} | breaker {session.Breaker} | alerts {Alerts(session)}"));
    }

    public static void Report(IAnsiConsole console, MonitorReport report, MonitorSession session)
    {
        var elapsed = report.EndedAt - report.StartedAt + session.Interval;
        var trend = session.History.Trend(MonitorReport.RecentWindow(elapsed, session.Interval), elapsed, minimumSamples: 3);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("window", "samples", "failures", "mean", "p50", "p95", "max");
        foreach (var (name, s) in new[] { ("whole run", trend.Baseline), ($"recent {DurationText.Format(trend.Recent.Span)}", trend.Recent) })
        {
            table.AddRow(name, s.Count.ToString(CultureInfo.InvariantCulture), s.Failures.ToString(CultureInfo.InvariantCulture),
                DurationText.Format(s.Mean), DurationText.Format(s.P50), DurationText.Format(s.P95), DurationText.Format(s.Max));
        }

        console.MarkupLine(report.Cancelled ? "[yellow]stopped[/] — trend report" : "trend report");
        console.Write(table);
        console.MarkupLine($"trend: [bold]{trend.Direction}[/]" + (trend.P95Ratio is { } ratio ? $" (recent p95 / whole p95 = {ratio.ToString("0.##", CultureInfo.InvariantCulture)})" : "") +
                           $"; failures by kind: {Markup.Escape(Failures(report.Samples))}; breaker {report.FinalBreaker}; alerts raised: {report.Alerts.Count}");
    }

    private static string Failures(IReadOnlyList<MonitorSample> samples)
    {
        var failures = samples.Where(s => s.FailureKind is not null).GroupBy(s => s.FailureKind!.Value).Select(g => $"{HoldfastInstruments.KindTag(g.Key)} {g.Count()}").ToList();
        return failures.Count == 0 ? "none" : string.Join(", ", failures);
    }

    private static string Alerts(MonitorSession session) =>
        session.Alerts.Active is { Count: > 0 } active ? string.Join(", ", active.Select(a => $"{a.Rule} {a.Level}")) : "none";
}
