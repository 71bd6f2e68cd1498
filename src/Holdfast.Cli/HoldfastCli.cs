using System.CommandLine;
using Holdfast.Cli.Common;
using Holdfast.Cli.Doctor;
using Holdfast.Faults;

namespace Holdfast.Cli;

/// <summary>
/// The <c>holdfast</c> command. Exit codes, the same for every command: 0 healthy; 2 bad usage or invalid
/// configuration; 3 database unreachable or failing for a transient reason; 4 rejected for a permanent reason;
/// 1 only for a bug in holdfast itself. Errors are one clear message on stderr, never a stack trace.
/// </summary>
internal static class HoldfastCli
{
    public const int InternalError = 1;

    public static async Task<int> RunAsync(string[] args, CliConsole console)
    {
        var common = new CliOptions();
        var root = new RootCommand("Holdfast: make a service's PostgreSQL connectivity boring. Diagnose, validate, plan and watch.");
        common.AddTo(root);
        root.Subcommands.Add(DoctorCommand.Create(common, console));
        root.Subcommands.Add(Validate.ValidateCommand.Create(common, console));
        root.Subcommands.Add(Plan.PlanCommand.Create(common, console));
        root.Subcommands.Add(Simulate.SimulateCommand.Create(common, console));
        root.Subcommands.Add(Wait.WaitCommand.Create(common, console));
        root.Subcommands.Add(Monitor.MonitorCommand.Create(common, console));

        try
        {
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var error in parse.Errors)
                {
                    console.WriteError(MaySpillASecret(error.Message)
                        ? "an argument that looks like a connection (it is not shown: it may hold a password) is not an option; give it with --connection"
                        : error.Message);
                }

                var command = parse.CommandResult.Command == root ? "holdfast" : $"holdfast {parse.CommandResult.Command.Name}";
                console.WriteError($"run '{command} --help' for usage");
                WriteJsonError(args, console, ExitCodes.InvalidConfiguration, "usage",
                    string.Join("; ", parse.Errors.Select(e => MaySpillASecret(e.Message) ? "an argument that looks like a connection is not an option; give it with --connection" : e.Message)), []);
                return ExitCodes.InvalidConfiguration;
            }

            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = console.Output,
                Error = console.Error,
                EnableDefaultExceptionHandler = false,
                // Ctrl-C cancels the command; give it time to write its report (monitor) before the process ends.
                ProcessTerminationTimeout = TimeSpan.FromSeconds(30),
            });
        }
        catch (Holdfast.HoldfastConfigurationException ex)
        {
            console.WriteError(ex.Message);
            WriteJsonError(args, console, ExitCodes.InvalidConfiguration, "configuration", ex.Message, ex.Problems);
            return ExitCodes.InvalidConfiguration;
        }
        catch (CliUsageException ex)
        {
            foreach (var line in ex.Lines)
            {
                console.WriteError(line);
            }

            WriteJsonError(args, console, ExitCodes.InvalidConfiguration, "usage", ex.Message, []);
            return ExitCodes.InvalidConfiguration;
        }
        catch (CliFailureException ex)
        {
            console.WriteError($"{ex.Failure.Kind}: {ex.Failure.Diagnosis}");
            WriteJsonError(args, console, ex.Failure.ExitCode, ex.Failure.Kind.ToString(), ex.Failure.Diagnosis, []);
            return ex.Failure.ExitCode;
        }
        catch (OperationCanceledException)
        {
            console.WriteError("cancelled");
            WriteJsonError(args, console, ExitCodes.Unavailable, "cancelled", "cancelled", []);
            return ExitCodes.Unavailable;
        }
#pragma warning disable CA1031 // The last line of defence: no stack trace reaches the user.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            console.WriteError($"internal error ({ex.GetType().Name}): {ex.Message}. This is a bug in holdfast; set HOLDFAST_DEBUG=1 for details.");
            WriteJsonError(args, console, InternalError, "internal",
                $"internal error ({ex.GetType().Name}){(MaySpillASecret(ex.Message) ? "" : ": " + ex.Message)}", []);
            if (Environment.GetEnvironmentVariable("HOLDFAST_DEBUG") == "1")
            {
                console.Error.WriteLine(ex);
            }

            return InternalError;
        }
    }

    /// <summary>
    /// With <c>--json</c> for stdout (a flag, or monitor's <c>--json</c> without a file), an error is JSON there too, so a
    /// script reading stdout always gets a document: <c>{ "error": { "exitCode", "kind", "message", "problems" } }</c>.
    /// </summary>
    private static void WriteJsonError(string[] args, CliConsole console, int exitCode, string kind, string message,
        IReadOnlyList<Holdfast.ConfigurationProblem> problems)
    {
        var at = Array.IndexOf(args, "--json");
        if (at < 0 || (at + 1 < args.Length && !args[at + 1].StartsWith('-') && args.Contains("monitor")))
        {
            return;
        }

        console.Output.WriteLine(CliJson.Serialize(new
        {
            Error = new
            {
                ExitCode = exitCode,
                Kind = kind,
                Message = message,
                Problems = problems.Select(p => new { p.Setting, p.Problem, p.Fix }),
            },
        }));
    }

    /// <summary>A parse error quoting a URL or a key-value connection string, e.g. one given without --connection.</summary>
    private static bool MaySpillASecret(string message) =>
        message.Contains("://", StringComparison.Ordinal) || message.Contains('@') ||
        message.Contains("password", StringComparison.OrdinalIgnoreCase) || message.Contains("pwd=", StringComparison.OrdinalIgnoreCase);
}
