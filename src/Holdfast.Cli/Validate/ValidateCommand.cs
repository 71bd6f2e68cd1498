using System.CommandLine;
using Holdfast.Cli.Common;
using Holdfast.Faults;
using Spectre.Console;

namespace Holdfast.Cli.Validate;

/// <summary><c>holdfast validate</c>: the effective timeouts and pool, where each came from, checked against floors and capacity.</summary>
internal static class ValidateCommand
{
    public static Command Create(CliOptions common, CliConsole console)
    {
        var configFiles = CliOptions.ConfigFiles();
        var json = CliOptions.JsonFlag();
        var command = new Command("validate",
            "Load configuration the way the service would (appsettings.json, appsettings.{Environment}.json, --config files, then " +
            "environment variables; {Environment} is --environment, else ASPNETCORE_ENVIRONMENT or DOTNET_ENVIRONMENT, else Production, " +
            "as in ASP.NET Core), print the effective timeouts and pool with where each value came from, and fail (exit 2) with one " +
            "line per problem: a value below its floor, an attempt timeout longer than its budget, a pool that does not fit the planned " +
            "capacity. No database is contacted. Use it as a CI gate against timeout regressions.\n\n" +
            "Examples:\n" +
            "  holdfast validate --environment staging\n" +
            "  holdfast validate --environment staging --config appsettings.Staging.json\n" +
            "  Holdfast__Capacity__MaxConnections=100 Holdfast__Capacity__Instances=4 holdfast validate --json")
        {
            configFiles,
            json,
        };
        command.SetAction(parse =>
        {
            var environment = parse.GetValue(common.Environment);
            var configuration = CliConfiguration.Load(parse.GetValue(configFiles), environment);
            var report = ValidateReport.Build(configuration, parse.GetValue(common.Connection), environment);
            if (parse.GetValue(json))
            {
                console.Output.WriteLine(CliJson.Serialize(new
                {
                    report.Valid,
                    report.Environment,
                    report.EnvironmentSource,
                    report.Endpoint,
                    report.EndpointNote,
                    report.Tls,
                    report.Warnings,
                    report.Files,
                    report.Settings,
                    report.Plan,
                    report.Headroom,
                    Problems = report.Problems.Select(p => new { p.Setting, p.Problem, p.Fix, Line = p.ToString() }),
                }));
            }
            else
            {
                Write(console.Ansi, report);
            }

            return report.Valid ? ExitCodes.Healthy : ExitCodes.InvalidConfiguration;
        });
        return command;
    }

    private static void Write(IAnsiConsole console, ValidateReport report)
    {
        console.MarkupLine($"[bold]holdfast validate[/] — environment {Markup.Escape(report.Environment)} (from {Markup.Escape(report.EnvironmentSource)})");
        console.MarkupLine(report.Endpoint is null ? "endpoint  (not configured)" : $"endpoint  {Markup.Escape(report.Endpoint)}");
        if (report.EndpointNote is { } note)
        {
            console.MarkupLine($"[grey]note[/]      {Markup.Escape(note)}");
        }

        if (report.Tls is { } tls)
        {
            console.MarkupLine($"tls       {Markup.Escape(tls)}");
        }

        console.MarkupLine(report.Files.Count == 0
            ? "files     (none: defaults and environment variables only)"
            : $"files     {Markup.Escape(string.Join(", ", report.Files.Select(f => Path.GetRelativePath(Directory.GetCurrentDirectory(), f))))}");
        var table = new Table().Border(TableBorder.Rounded).AddColumns("setting", "value", "source", "rule");
        foreach (var row in report.Settings)
        {
            table.AddRow(Markup.Escape(row.Key), Markup.Escape(row.Value), Markup.Escape(row.Source), Markup.Escape(row.Rule ?? ""));
        }

        console.Write(table);
        if (report.Plan is { } plan)
        {
            console.MarkupLine($"capacity  {Markup.Escape(plan.Verdict)}");
            if (report.Headroom is { } headroom)
            {
                console.MarkupLine(headroom >= 0
                    ? $"headroom  the configured pool of {report.PoolSize} leaves {headroom} of the budget's {plan.Budget} connections at {plan.InstancesAtOnce} instances at once"
                    : $"[red]headroom[/]  the configured pool of {report.PoolSize} is {-headroom} connections over the budget of {plan.Budget} at {plan.InstancesAtOnce} instances at once");
            }
        }

        foreach (var warning in report.Warnings)
        {
            console.MarkupLine($"[yellow]warning[/] {Markup.Escape(warning)}");
        }

        foreach (var problem in report.Problems)
        {
            console.MarkupLine($"[red]problem[/] {Markup.Escape(problem.ToString())}");
        }

        console.MarkupLine(report.Valid
            ? "[green bold]VALID[/] every value keeps its rules (exit 0)"
            : $"[red bold]INVALID[/] {report.Problems.Count} problem{(report.Problems.Count == 1 ? "" : "s")} (exit 2)");
    }
}
