using System.CommandLine;
using Holdfast.Cli.Common;
using Holdfast.Configuration;
using Spectre.Console;

namespace Holdfast.Cli.Monitor;

/// <summary><c>holdfast monitor</c>: timed connect + query samples, a live table, alerts, a trend report, CSV/JSON and an SVG chart.</summary>
internal static class MonitorCommand
{
    public static Command Create(CliOptions common, CliConsole console)
    {
        var duration = new Option<TimeSpan?>("--duration", "-d") { Description = "How long to monitor (e.g. 10m, 1h); default 10m.", CustomParser = CliParsing.Duration };
        var interval = new Option<TimeSpan?>("--interval", "-i") { Description = "Time between samples (e.g. 5s); default 5s.", CustomParser = CliParsing.Duration };
        var csv = new Option<string?>("--csv") { Description = "Write every sample to this CSV file." };
        var json = new Option<string?>("--json")
        {
            Description = "Write the run (samples, summary, trend, alerts) as JSON: to this file, or to stdout without a file name.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var chart = new Option<string?>("--chart") { Description = "Write a latency chart to this SVG file (open it in a browser)." };
        var html = new Option<string?>("--html")
        {
            Description = "Write the run as one static page with the service dashboard's charts (latency against the alert thresholds, failures by kind, breaker state); opens offline.",
        };
        var command = new Command("monitor",
            "Take a timed connect + SELECT 1 sample every interval through a guarded connection (retries and the circuit breaker as in " +
            "a service; one untimed warm-up connect first, so the client's start-up cost is not in the first sample), show a live table (last, p50, p95, max, failures by kind, breaker state, active alerts) with the environment's " +
            "alert rules, and end with a trend report (the recent quarter of the run against the whole run). Ctrl-C ends it cleanly " +
            "with the report. Exit 0 when the last sample succeeded, 3 or 4 by its failure.\n\n" +
            "Examples:\n" +
            "  holdfast monitor --duration 10m --interval 5s\n" +
            "  holdfast monitor --duration 1h --interval 10s --csv connects.csv --json connects.json --chart connects.svg\n" +
            "  holdfast monitor --duration 15m --interval 2s --html report.html\n" +
            "  holdfast monitor --duration 30s --interval 1s --json")
        {
            duration, interval, csv, json, chart, html,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var environment = parse.GetValue(common.Environment);
            var configuration = CliConfiguration.Load(environment: environment);
            var endpoint = DatabaseEndpoint.Resolve(configuration, parse.GetValue(common.Connection));
            var timeouts = CliTimeouts.Resolve(configuration, endpoint, environment is { } forced ? new DetectedEnvironment(forced, "--environment") : null);
            MonitorFiles.CheckWritable(parse.GetValue(csv), "--csv");
            MonitorFiles.CheckWritable(parse.GetValue(json), "--json");
            MonitorFiles.CheckWritable(parse.GetValue(chart), "--chart");
            MonitorFiles.CheckWritable(parse.GetValue(html), "--html");
            var every = parse.GetValue(interval) ?? TimeSpan.FromSeconds(5);
            var jsonResult = parse.GetResult(json);
            var jsonToStdout = jsonResult is not null && parse.GetValue(json) is null;
            await using var session = new MonitorSession(endpoint, timeouts, every, parse.GetValue(duration) ?? TimeSpan.FromMinutes(10), TimeProvider.System);
            var cancelled = await RunAsync(session, console, live: !jsonToStdout && console.Ansi.Profile.Capabilities.Interactive, quiet: jsonToStdout, cancellationToken);
            var endedAt = TimeProvider.System.GetUtcNow();
            var report = MonitorReport.From(session, endedAt, cancelled);
            await MonitorFiles.WriteAsync(parse.GetValue(csv), MonitorFiles.Csv(report.Samples));
            await MonitorFiles.WriteAsync(parse.GetValue(json), MonitorFiles.Json(report));
            await MonitorFiles.WriteAsync(parse.GetValue(chart),
                SvgChart.Render(report.Samples, session.Rule, $"holdfast monitor — {endpoint} ({timeouts.Environment.ToName()})", session.StartedAt, session.Interval));
            if (parse.GetValue(html) is { } page)
            {
                await MonitorFiles.WriteAsync(page, MonitorHtml.Render(session, endedAt));
            }

            if (jsonToStdout)
            {
                await console.Output.WriteLineAsync(MonitorFiles.Json(report));
            }
            else
            {
                MonitorConsoleView.Report(console.Ansi, report, session);
                foreach (var (name, path) in new[] { ("csv", parse.GetValue(csv)), ("json", parse.GetValue(json)), ("chart", parse.GetValue(chart)), ("html", parse.GetValue(html)) })
                {
                    if (path is not null)
                    {
                        console.Ansi.MarkupLine($"{name}: {Markup.Escape(Path.GetFullPath(path))}");
                    }
                }
            }

            return report.ExitCode;
        });
        return command;
    }

    /// <summary>Samples until the duration ends; returns true when Ctrl-C stopped it first.</summary>
    private static async Task<bool> RunAsync(MonitorSession session, CliConsole console, bool live, bool quiet, CancellationToken cancellationToken)
    {
        if (!quiet)
        {
            MonitorConsoleView.Header(console.Ansi, session);
        }

        try
        {
            if (live)
            {
                await console.Ansi.Live(MonitorConsoleView.Table(session)).StartAsync(async context =>
                    await session.RunAsync(_ => context.UpdateTarget(MonitorConsoleView.Table(session)), cancellationToken));
            }
            else
            {
                await session.RunAsync(sample =>
                {
                    if (!quiet)
                    {
                        MonitorConsoleView.Line(console.Output, session, sample);
                    }
                }, cancellationToken);
            }

            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return true;
        }
    }
}
