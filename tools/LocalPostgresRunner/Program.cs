using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Holdfast.Testing;

// local-postgres [--dir DIR] [--tls] -- COMMAND [ARGS...]
// Starts a throwaway LocalPostgres under DIR (default .holdfast), runs COMMAND with DATABASE_URL set to it, and removes
// the cluster when COMMAND ends. With --tls the server requires TLS, as managed servers do, and DATABASE_URL asks for
// sslmode=verify-full with the cluster's generated CA as sslrootcert. SIGINT and SIGTERM are passed on to COMMAND as SIGTERM (a graceful stop); the cluster
// is removed after it exits. A cluster left by a killed runner is removed at the next start. The exit code is COMMAND's.
var separator = Array.IndexOf(args, "--");
if (separator < 0 || separator == args.Length - 1)
{
    await Console.Error.WriteLineAsync("usage: local-postgres [--dir DIR] [--tls] -- COMMAND [ARGS...]");
    return 2;
}

var options = args[..separator];
var at = Array.IndexOf(options, "--dir");
var directory = at >= 0 && at + 1 < options.Length ? options[at + 1] : ".holdfast";
var tls = options.Contains("--tls");
var command = args[(separator + 1)..];

await Console.Error.WriteLineAsync($"local-postgres: starting a throwaway PostgreSQL under {Path.GetFullPath(directory)} ...");
await using var postgres = await LocalPostgres.CreateAsync(new LocalPostgresOptions { BaseDirectory = directory, Tls = tls ? new LocalPostgresTls() : null });
await Console.Error.WriteLineAsync(
    $"local-postgres: ready on {postgres.Host}:{postgres.Port} (socket {postgres.SocketDirectory}), database {postgres.Database}, user {postgres.Username}");

var start = new ProcessStartInfo(command[0]) { UseShellExecute = false };
foreach (var argument in command[1..])
{
    start.ArgumentList.Add(argument);
}

start.Environment["DATABASE_URL"] = tls
    ? $"{postgres.DatabaseUrl}?sslmode=verify-full&sslrootcert={postgres.CertificateAuthorityFile}"
    : postgres.DatabaseUrl;
using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command[0]}");

void StopChild(PosixSignalContext signal)
{
    // Keep this process alive until the child has stopped, so the cluster is removed after it.
    signal.Cancel = true;
    if (!child.HasExited)
    {
        using var kill = Process.Start("kill", ["-TERM", child.Id.ToString(CultureInfo.InvariantCulture)]);
        kill?.WaitForExit();
    }
}

using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, StopChild);
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, StopChild);
await child.WaitForExitAsync(CancellationToken.None);
await Console.Error.WriteLineAsync("local-postgres: stopping and removing the cluster");
return child.ExitCode;
