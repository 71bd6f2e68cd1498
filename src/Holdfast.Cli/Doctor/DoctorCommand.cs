using System.CommandLine;
using Holdfast.Cli.Common;

namespace Holdfast.Cli.Doctor;

/// <summary><c>holdfast doctor</c>: probe the connection stage by stage and give a verdict with the fix.</summary>
internal static class DoctorCommand
{
    public static Command Create(CliOptions common, CliConsole console)
    {
        var timeout = new Option<TimeSpan?>("--timeout", "-t")
        {
            Description = "Timeout of each stage (e.g. 5s, 500ms); default: the environment's connection timeout.",
            CustomParser = result => CliParsing.Duration(result),
        };
        var samples = new Option<int>("--samples", "-n")
        {
            Description = "How many new physical connections to time (0 to 1000).",
            DefaultValueFactory = _ => 5,
            CustomParser = result => CliParsing.Integer(result, 0, 1000),
        };

        var json = CliOptions.JsonFlag();
        var command = new Command("doctor",
            "Find the database from the environment, probe it stage by stage (parse, resolve or socket, TCP, TLS, authentication, " +
            "first query, server facts, timed connects) and say what is wrong and how to fix it.\n\n" +
            "Examples:\n" +
            "  holdfast doctor\n" +
            "  holdfast doctor --connection postgres://app@db:5432/app --samples 20\n" +
            "  holdfast doctor --environment staging --timeout 10s --json")
        {
            timeout,
            samples,
            json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new DoctorSettings(CliConfiguration.Load(environment: parse.GetValue(common.Environment)), parse.GetValue(common.Connection), parse.GetValue(common.Environment),
                parse.GetValue(timeout), parse.GetValue(samples));
            var runner = new DoctorRunner(settings, TimeProvider.System);
            var report = parse.GetValue(json)
                ? await runner.RunAsync(cancellationToken)
                : await DoctorLiveLine.RunAsync(console.Ansi, runner, TimeProvider.System, cancellationToken);
            if (parse.GetValue(json))
            {
                await console.Output.WriteLineAsync(CliJson.Serialize(report));
            }
            else
            {
                DoctorConsoleView.Write(console.Ansi, report);
            }

            return report.Verdict.ExitCode;
        });
        return command;
    }
}
