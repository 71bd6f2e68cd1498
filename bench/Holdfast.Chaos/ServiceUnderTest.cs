using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Holdfast.Chaos;

/// <summary>The reference service as its own process on a free port of 127.0.0.1; its output goes to a log file.</summary>
internal sealed class ServiceUnderTest : IAsyncDisposable
{
    private readonly Process process;
    private readonly StreamWriter log;
    private bool disposed;

    private ServiceUnderTest(Process process, Uri address, StreamWriter log)
    {
        this.process = process;
        Address = address;
        this.log = log;
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri Address { get; }

    /// <summary>Resident memory now, in MiB (from /proc).</summary>
    public double RssMiB
    {
        get
        {
            var line = File.ReadLines($"/proc/{process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
    }

    public static ServiceUnderTest Start(IReadOnlyDictionary<string, string> environment, string logFile)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ReferenceService.dll"));
        foreach (var name in new[] { "DATABASE_URL", "POSTGRES_HOST", "ConnectionStrings__Database", "ASPNETCORE_URLS", "LISTEN_ADDRESS" })
        {
            start.Environment.Remove(name);
        }

        start.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var log = new StreamWriter(logFile) { AutoFlush = true };
        return new ServiceUnderTest(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}"), log);
    }

    /// <summary>Waits until <c>/health/ready</c> answers 200.</summary>
    public async Task WaitReadyAsync(TimeSpan within)
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < within)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the reference service exited with {process.ExitCode}; see its log");
            }

            try
            {
                using var response = await http.GetAsync("/health/ready").ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        throw new TimeoutException($"the reference service was not ready within {within.TotalSeconds:0} s");
    }

    /// <summary>The process id.</summary>
    public int ProcessId => process.Id;

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => process.HasExited;

    /// <summary>As an orchestrator stops a replica: SIGTERM, then up to <paramref name="grace"/> to drain and exit, then SIGKILL.</summary>
    public async Task StopGracefullyAsync(TimeSpan grace)
    {
        if (!process.HasExited && SendSignal(process.Id, SigTerm) == 0)
        {
            using var deadline = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // It did not drain in time: killed below.
            }
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }

        process.Dispose();
        await log.DisposeAsync().ConfigureAwait(false);
    }

    private void Write(string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.WriteLine(line);
            }
        }
    }

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
