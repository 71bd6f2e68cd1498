using System.Globalization;

namespace Holdfast.Testing;

// PgBouncer as a process: found, stopped, killed, and cleaned up after a process that died.
public sealed partial class LocalPgBouncer
{
    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        KillFromPidFile(PidFile);
        LocalResources.DeleteDirectory(RootDirectory);
    }

    private static async Task StopProcessAsync(string pidFile, CancellationToken cancellationToken)
    {
        if (ReadPid(pidFile) is not { } pid)
        {
            return;
        }

        try
        {
            await PostgresTools.RunProcessAsync("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10), cancellationToken);
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
        var deadline = TimeProvider.System.GetUtcNow() + TimeSpan.FromSeconds(30);
        while (LocalResources.IsAlive(pid))
        {
            if (TimeProvider.System.GetUtcNow() > deadline)
            {
                // It ignored SIGTERM: never leave a PgBouncer nobody can find again.
                KillFromPidFile(pidFile);
                throw new TimeoutException($"PgBouncer (pid {pid}) did not stop within 30 s of SIGTERM and was killed.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System, cancellationToken);
        }

        TryDelete(pidFile);
    }

    private static void KillFromPidFile(string pidFile)
    {
        if (ReadPid(pidFile) is not { } pid)
        {
            return;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }

        TryDelete(pidFile);
    }

    /// <summary>
    /// The pid in the pid file, when that process still runs and is this PgBouncer (its command line names this ini file):
    /// after a reboot or a crash the number may belong to another process by now, which must never be signalled.
    /// </summary>
    private static int? ReadPid(string pidFile)
    {
        try
        {
            if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) || !LocalResources.IsAlive(pid))
            {
                return null;
            }

            var ini = Path.Combine(Path.GetDirectoryName(pidFile)!, "pgbouncer.ini");
            var commandLine = Path.Combine("/proc", pid.ToString(CultureInfo.InvariantCulture), "cmdline");
            return !File.Exists(commandLine) || File.ReadAllText(commandLine).Contains(ini, StringComparison.Ordinal) ? pid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void RemoveAbandoned(string baseDirectory)
    {
        foreach (var directory in Directory.EnumerateDirectories(baseDirectory, DirectoryPrefix + "*"))
        {
            if (!LocalResources.IsAbandoned(directory, OwnerFile))
            {
                continue;
            }

            KillFromPidFile(Path.Combine(directory, "pgbouncer.pid"));
            LocalResources.DeleteDirectory(directory);
        }
    }

    private static string LocateExecutable(string? configured)
    {
        var candidates = new List<string?> { configured, Environment.GetEnvironmentVariable(ExecutableVariable) };
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, "pgbouncer")));
        candidates.Add("/usr/sbin/pgbouncer");
        return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && File.Exists(c))
               ?? throw new InvalidOperationException(
                   $"PgBouncer was not found. Install it (Debian: apt-get install pgbouncer; scripts/setup does) or point {ExecutableVariable} at it.");
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
