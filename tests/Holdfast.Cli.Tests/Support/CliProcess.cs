using System.Diagnostics;
using System.Text;

namespace Holdfast.Cli.Tests.Support;

/// <summary>What a run of the holdfast command printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public string All => Stdout + Stderr;

    public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalSeconds:0.0} s\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the real <c>holdfast</c> command as a separate process, with a clean database environment.</summary>
internal static class CliProcess
{
    private static readonly string[] DatabaseVariables =
    [
        "DATABASE_URL", "POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_SSLMODE",
        "ConnectionStrings__Database", "HOLDFAST_ENVIRONMENT", "ENVIRONMENT", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT",
        "BYPASS_STARTUP_VALIDATION",
    ];

    public static Task<CliRun> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null,
        string? workingDirectory = null) => RunAsync(arguments, environment, timeout, workingDirectory, interruptWhen: null);

    /// <summary>Runs the command and sends it SIGINT (Ctrl-C) once a line of its stdout contains <paramref name="interruptWhen"/>.</summary>
    public static async Task<CliRun> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, TimeSpan? timeout,
        string? workingDirectory, string? interruptWhen)
    {
        // An empty directory unless the test gives one: commands read appsettings*.json from where they run.
        using var scratch = workingDirectory is null ? new TempDirectory() : null;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? scratch!.Path,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Holdfast.Cli.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in DatabaseVariables.Concat(start.Environment.Keys.Where(k => k.StartsWith("Holdfast__", StringComparison.OrdinalIgnoreCase))).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = interruptWhen is null ? process.StandardOutput.ReadToEndAsync() : ReadAndInterruptAsync(process, interruptWhen);
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"holdfast {string.Join(' ', arguments)} did not finish in time.\n{await stdout}\n{await stderr}");
        }

        return new CliRun(process.ExitCode, await stdout, await stderr, stopwatch.Elapsed);
    }

    public static Task<CliRun> RunAsync(params string[] arguments) => RunAsync(arguments, null);

    private static async Task<string> ReadAndInterruptAsync(Process process, string marker)
    {
        var text = new StringBuilder();
        var sent = false;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            text.AppendLine(line);
            if (!sent && line.Contains(marker, StringComparison.Ordinal))
            {
                sent = true;
                using var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                await kill.WaitForExitAsync();
            }
        }

        return text.ToString();
    }
}
