using System.Diagnostics;
using System.Text;

namespace Holdfast.Testing;

/// <summary>Finds the machine's PostgreSQL programs and runs them, as the <c>postgres</c> user when this process is root.</summary>
internal sealed class PostgresTools
{
    public const string BinDirectoryVariable = "HOLDFAST_PG_BINDIR";
    private const string ServiceUser = "postgres";

    private PostgresTools(string binDirectory) => BinDirectory = binDirectory;

    public string BinDirectory { get; }

    /// <summary>PostgreSQL refuses to run as root; then every server-side program runs as the postgres user.</summary>
    public static bool RunAsServiceUser => Environment.IsPrivilegedProcess;

    public static PostgresTools Locate(string? configured)
    {
        var candidates = new List<string?> { configured, Environment.GetEnvironmentVariable(BinDirectoryVariable), PgConfigBinDir() };
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        var found = candidates.FirstOrDefault(dir => !string.IsNullOrEmpty(dir) && File.Exists(Path.Combine(dir, "initdb")));
        return found is not null
            ? new PostgresTools(found)
            : throw new InvalidOperationException(
                "PostgreSQL's server programs (initdb, pg_ctl, postgres) were not found. Install them (Debian: apt-get install postgresql) " +
                $"or point {BinDirectoryVariable} at their directory.");
    }

    /// <summary>Gives the postgres user a directory this (root) process created; does nothing when not root.</summary>
    public static async Task GiveToServiceUserAsync(string path, CancellationToken cancellationToken)
    {
        if (RunAsServiceUser)
        {
            await RunProcessAsync("chown", ["-R", $"{ServiceUser}:{ServiceUser}", path], TimeSpan.FromSeconds(30), cancellationToken);
        }
    }

    /// <summary>Fails clearly when the postgres user cannot reach a directory (a parent without o+x, as root's home often is).</summary>
    public async Task EnsureServiceUserCanWriteAsync(string directory, CancellationToken cancellationToken)
    {
        if (!RunAsServiceUser)
        {
            return;
        }

        try
        {
            await RunProcessAsync("runuser", ["-u", ServiceUser, "--", "test", "-w", directory], TimeSpan.FromSeconds(10), cancellationToken);
        }
        catch (InvalidOperationException)
        {
            throw new InvalidOperationException(
                $"PostgreSQL runs as the '{ServiceUser}' user here (this process is root), and that user cannot reach {directory}. " +
                "Put the cluster under a directory it can reach (LocalPostgresOptions.BaseDirectory, e.g. the temp directory), " +
                "or make the parent directories traversable (chmod o+x).");
        }
    }

    public Task<string> RunAsync(string program, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null) =>
        RunAsServiceUserAsync(Path.Combine(BinDirectory, program), arguments, timeout, cancellationToken, environment);

    /// <summary>Runs any program (e.g. PgBouncer) as the postgres user when this process is root, else as this user.</summary>
    public static Task<string> RunAsServiceUserAsync(string path, IReadOnlyList<string> arguments, TimeSpan timeout,
        CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null) =>
        RunAsServiceUser
            ? RunProcessAsync("runuser", ["-u", ServiceUser, "--", path, .. arguments], timeout, cancellationToken, environment)
            : RunProcessAsync(path, arguments, timeout, cancellationToken, environment);

    /// <summary>Runs to completion synchronously; for process-exit clean-up, where nothing async can be awaited.</summary>
    public void RunBlocking(string program, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var path = Path.Combine(BinDirectory, program);
        var start = RunAsServiceUser ? Start("runuser", ["-u", ServiceUser, "--", path, .. arguments]) : Start(path, arguments);
        using var process = Process.Start(start);
        if (process is not null && !process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
        }
    }

    public static async Task<string> RunProcessAsync(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout,
        CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = Start(fileName, arguments);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)
            ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = new StringBuilder();
        var stdout = PumpAsync(process.StandardOutput, output);
        var stderr = PumpAsync(process.StandardError, output);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
            await Task.WhenAll(stdout, stderr).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s.\n{output}");
        }

        return process.ExitCode == 0
            ? output.ToString()
            : throw new InvalidOperationException($"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}:\n{output}");
    }

    private static ProcessStartInfo Start(string fileName, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Keep the server's messages in English so logs read the same everywhere.
        start.Environment["LC_MESSAGES"] = "C";
        return start;
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder output)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string? PgConfigBinDir()
    {
        try
        {
            using var process = Process.Start(Start("pg_config", ["--bindir"]));
            if (process is null || !process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                return null;
            }

            return process.ExitCode == 0 ? process.StandardOutput.ReadToEnd().Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
