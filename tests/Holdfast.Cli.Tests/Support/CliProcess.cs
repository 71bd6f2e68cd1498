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
        "BYPASS_STARTUP_VALIDATION", "PGSSLMODE", "PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY",
    ];

    public static Task<CliRun> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null,
        string? workingDirectory = null) => RunAsync(arguments, environment, timeout, workingDirectory, watch: null);

    /// <summary>Runs the command and acts once a line of its output contains a marker (see <see cref="CliWatch"/>).</summary>
    public static async Task<CliRun> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, TimeSpan? timeout,
        string? workingDirectory, CliWatch? watch)
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
        var stdout = watch is { Stderr: false } ? WatchAsync(process, process.StandardOutput, watch) : process.StandardOutput.ReadToEndAsync();
        var stderr = watch is { Stderr: true } ? WatchAsync(process, process.StandardError, watch) : process.StandardError.ReadToEndAsync();
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

    /// <summary>Sends SIGINT, as Ctrl-C in a terminal would.</summary>
    public static void Interrupt(Process process)
    {
        using var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private static async Task<string> WatchAsync(Process process, StreamReader output, CliWatch watch)
    {
        var text = new StringBuilder();
        var done = false;
        while (await output.ReadLineAsync() is { } line)
        {
            text.AppendLine(line);
            if (!done && line.Contains(watch.Marker, StringComparison.Ordinal))
            {
                done = true;
                watch.Then(process);
            }
        }

        return text.ToString();
    }
}

/// <summary>What to do, once, when a line of the command's stdout (or stderr) contains <paramref name="Marker"/>.</summary>
internal sealed record CliWatch(string Marker, Action<Process> Then, bool Stderr = false);
