using System.CommandLine;
using System.CommandLine.Parsing;
using Holdfast.Cli.Common;
using Holdfast.Configuration;
using Holdfast.Faults;
using Holdfast.Startup;
using Holdfast.Telemetry;
using Holdfast.Timeouts;
using Spectre.Console;

namespace Holdfast.Cli.Simulate;

/// <summary><c>holdfast simulate</c>: the start-up bypass decision for given failures, and the effective timeouts under given pressure.</summary>
internal static class SimulateCommand
{
    public static Command Create(CliOptions common, CliConsole console)
    {
        var failures = new Option<FailureKind[]>("--failures", "-f")
        {
            Description = "Failed phases' kinds, comma-separated: " + string.Join(", ", Enum.GetValues<FailureKind>().Select(HoldfastInstruments.KindTag)) + ".",
            CustomParser = ParseKinds,
            DefaultValueFactory = _ => [],
        };
        var pressure = new Option<PressureIndicators?>("--pressure", "-p")
        {
            Description = "Explicit pressure, comma-separated: network-scaling (connection x1.5), capacity (initialization x1.2); " +
                          "added to what Holdfast:Pressure configures.",
            CustomParser = ParsePressure,
        };
        var measured = new Option<TimeSpan?>("--measured-p95")
        {
            Description = "A recent connect p95 to apply as measured pressure (e.g. 21s).",
            CustomParser = CliParsing.Duration,
        };
        var bypass = new Option<bool>("--bypass") { Description = "As if BYPASS_STARTUP_VALIDATION=true." };
        var json = CliOptions.JsonFlag();
        var command = new Command("simulate",
            "Decide, without a database, what start-up would do with these failures (the bypass rule that decides) and what the " +
            "effective timeouts are under this pressure.\n\n" +
            "Examples:\n" +
            "  holdfast simulate --environment staging --failures timeout,refused\n" +
            "  holdfast simulate --environment production --failures refused --bypass\n" +
            "  holdfast simulate --environment staging --pressure network-scaling,capacity --measured-p95 21s --json")
        {
            failures, pressure, measured, bypass, json,
        };
        command.SetAction(parse =>
        {
            var environment = parse.GetValue(common.Environment);
            var configuration = CliConfiguration.Load(environment: environment);
            var timeouts = CliTimeouts.Resolve(configuration, null,
                environment is { } forced ? new DetectedEnvironment(forced, "--environment") : null);
            var kinds = parse.GetValue(failures) ?? [];
            var requested = parse.GetValue(bypass) || BypassPolicy.IsRequested(configuration[BypassPolicy.Variable]);
            var decision = BypassPolicy.Decide(timeouts.Environment, kinds, requested);
            var outcome = kinds.Length == 0 ? StartupOutcome.Ready : decision.Allowed ? StartupOutcome.Degraded : StartupOutcome.Failed;
            var exitCode = outcome == StartupOutcome.Failed ? kinds.Select(k => k.ToExitCode()).Max() : ExitCodes.Healthy;
            var window = Window(parse.GetValue(measured));
            var configured = PressureIndicators.From(configuration);
            var given = parse.GetValue(pressure) ?? PressureIndicators.None;
            var explained = PressureAwareTimeouts.Explain(timeouts.Profile,
                new PressureIndicators(configured.NetworkPathScaling || given.NetworkPathScaling, configured.DatabaseCapacity || given.DatabaseCapacity), window);
            if (parse.GetValue(json))
            {
                console.Output.WriteLine(CliJson.Serialize(new
                {
                    Environment = timeouts.Environment.ToName(),
                    Failures = kinds,
                    BypassRequested = requested,
                    Outcome = outcome,
                    Degraded = decision.Allowed,
                    decision.Rule,
                    StartupExitCode = exitCode,
                    Timeouts = explained.Select(e => new { e.Kind, BaseSeconds = e.Base.TotalSeconds, e.ExplicitFactor, MeasuredP95Seconds = e.MeasuredP95?.TotalSeconds, e.MeasuredFactor, CeilingSeconds = e.Ceiling.TotalSeconds, FinalSeconds = e.Final.TotalSeconds, e.Reason }),
                }));
            }
            else
            {
                Write(console.Ansi, timeouts.Environment, kinds, outcome, decision, exitCode, explained);
            }

            return ExitCodes.Healthy;
        });
        return command;
    }

    private static LatencySnapshot? Window(TimeSpan? p95)
    {
        if (p95 is not { } value)
        {
            return null;
        }

        var window = new ConnectLatencyWindow();
        for (var i = 0; i < PressureAwareTimeouts.MinimumSamples; i++)
        {
            window.Record(value, DateTimeOffset.UnixEpoch);
        }

        return window.Current;
    }

    private static void Write(IAnsiConsole console, HoldfastEnvironment environment, FailureKind[] kinds, StartupOutcome outcome,
        BypassDecision decision, int exitCode, IReadOnlyList<TimeoutExplanation> explained)
    {
        console.MarkupLine($"[bold]holdfast simulate[/] — environment {environment.ToName()}, failures: {(kinds.Length == 0 ? "none" : Markup.Escape(string.Join(", ", kinds)))}");
        var color = outcome switch { StartupOutcome.Ready => "green", StartupOutcome.Degraded => "yellow", _ => "red" };
        console.MarkupLine($"[{color} bold]{outcome.ToString().ToUpperInvariant()}[/] {Markup.Escape(decision.Rule)}" +
                           (outcome == StartupOutcome.Failed ? $" (the service would exit {exitCode})" : ""));
        var table = new Table().Border(TableBorder.Rounded).AddColumns("timeout", "base", "explicit", "measured p95", "final", "why");
        foreach (var e in explained)
        {
            table.AddRow(e.Kind.ToString(), DurationText.Format(e.Base), $"x{e.ExplicitFactor:0.##}",
                e.MeasuredP95 is { } p95 ? $"{DurationText.Format(p95)} (x{e.MeasuredFactor:0.##})" : "-", DurationText.Format(e.Final), Markup.Escape(e.Reason));
        }

        console.Write(table);
    }

    private static FailureKind[] ParseKinds(ArgumentResult result)
    {
        var kinds = new List<FailureKind>();
        foreach (var token in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var normalized = token.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
            if (Enum.TryParse<FailureKind>(normalized, ignoreCase: true, out var kind) && !int.TryParse(normalized, out _))
            {
                kinds.Add(kind);
            }
            else
            {
                result.AddError($"'{token}' is not a failure kind: use {string.Join(", ", Enum.GetValues<FailureKind>().Select(HoldfastInstruments.KindTag))}.");
            }
        }

        return [.. kinds];
    }

    private static PressureIndicators? ParsePressure(ArgumentResult result)
    {
        var network = false;
        var capacity = false;
        foreach (var token in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            switch (token.ToLowerInvariant())
            {
                case "network-scaling" or "network":
                    network = true;
                    break;
                case "capacity" or "database-capacity":
                    capacity = true;
                    break;
                default:
                    result.AddError($"'{token}' is not a pressure indicator: use network-scaling or capacity.");
                    break;
            }
        }

        return new PressureIndicators(network, capacity);
    }
}
