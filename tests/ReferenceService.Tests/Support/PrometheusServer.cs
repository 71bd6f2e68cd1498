using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace ReferenceService.Tests.Support;

/// <summary>
/// Debian's Prometheus as a process on a free port of 127.0.0.1, with the repository's deploy/prometheus/prometheus.yml
/// and rules: the same file, with its targets pointed at the given services and its intervals at one second so a test
/// sees rules evaluated in seconds, not minutes. Its storage is a temporary directory, removed when it is disposed.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly string directory;
    private readonly StringBuilder output = new();

    private PrometheusServer(Process process, string directory, int port)
    {
        this.process = process;
        this.directory = directory;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public HttpClient Http { get; }

    /// <summary>What Prometheus logged (warnings and errors only).</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>The repository's deploy/prometheus directory (rules, their tests, the example configuration).</summary>
    public static string DeployDirectory => Path.Combine(RepositoryRoot(), "deploy", "prometheus");

    /// <summary>Starts Prometheus scraping <paramref name="targets"/> (host:port) as the example configuration's job.</summary>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyList<string> targets)
    {
        var directory = Directory.CreateTempSubdirectory("holdfast-prometheus-").FullName;
        File.Copy(Path.Combine(DeployDirectory, "holdfast-rules.yml"), Path.Combine(directory, "holdfast-rules.yml"));
        var config = File.ReadAllText(Path.Combine(DeployDirectory, "prometheus.yml"));
        var fast = config.Replace("scrape_interval: 15s", "scrape_interval: 1s", StringComparison.Ordinal)
            .Replace("evaluation_interval: 15s", "evaluation_interval: 1s", StringComparison.Ordinal)
            .Replace("targets: ['127.0.0.1:8080']", $"targets: [{string.Join(", ", targets.Select(t => $"'{t}'"))}]", StringComparison.Ordinal);
        Assert.True(fast.Contains("scrape_interval: 1s", StringComparison.Ordinal) && fast.Contains(targets[0], StringComparison.Ordinal),
            "deploy/prometheus/prometheus.yml no longer has the intervals and the target this test points at the service");
        File.WriteAllText(Path.Combine(directory, "prometheus.yml"), fast);

        var port = FreePort();
        var start = new ProcessStartInfo(Locate())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var argument in new[]
                 {
                     $"--config.file={Path.Combine(directory, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(directory, "data")}",
                     $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var server = new PrometheusServer(Process.Start(start)!, directory, port);
        await server.WaitReadyAsync();
        return server;
    }

    /// <summary>The alerts Prometheus holds now (pending or firing), by name and state.</summary>
    public async Task<IReadOnlyList<(string Name, string State, IReadOnlyDictionary<string, string> Labels)>> AlertsAsync()
    {
        using var document = await GetAsync("/api/v1/alerts");
        return [.. document.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray().Select(a =>
        (
            a.GetProperty("labels").GetProperty("alertname").GetString()!,
            a.GetProperty("state").GetString()!,
            (IReadOnlyDictionary<string, string>)a.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!)
        ))];
    }

    /// <summary>Every metric name Prometheus has stored.</summary>
    public async Task<IReadOnlySet<string>> MetricNamesAsync()
    {
        using var document = await GetAsync("/api/v1/label/__name__/values");
        return document.RootElement.GetProperty("data").EnumerateArray().Select(n => n.GetString()!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the alerts, or fails after <paramref name="within"/> naming what it saw.</summary>
    public async Task<IReadOnlyList<(string Name, string State, IReadOnlyDictionary<string, string> Labels)>> WaitForAlertsAsync(
        Func<IReadOnlyList<(string Name, string State, IReadOnlyDictionary<string, string> Labels)>, bool> condition, TimeSpan within, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var alerts = await AlertsAsync();
            if (condition(alerts))
            {
                return alerts;
            }

            if (clock.Elapsed >= within)
            {
                Assert.Fail($"{what} not within {within.TotalSeconds} s; alerts: {string.Join(", ", alerts.Select(a => $"{a.Name} {a.State}"))}; " +
                            $"targets: {await TargetsAsync()}\n{Output}");
            }


            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Evaluates <paramref name="expression"/> now: null when Prometheus accepts it, else its error.</summary>
    public async Task<string?> QueryErrorAsync(string expression)
    {
        using var response = await Http.GetAsync($"/api/v1/query?query={Uri.EscapeDataString(expression)}", TestContext.Current.CancellationToken);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return document.RootElement.GetProperty("status").GetString() == "success" ? null : document.RootElement.GetProperty("error").GetString();
    }

    /// <summary>Each scrape target's health and last error, for a failure's message.</summary>
    public async Task<string> TargetsAsync()
    {
        using var document = await GetAsync("/api/v1/targets");
        return string.Join("; ", document.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray().Select(t =>
            $"{t.GetProperty("scrapeUrl").GetString()} {t.GetProperty("health").GetString()} {t.GetProperty("lastError").GetString()} " +
            $"({t.GetProperty("lastScrapeDuration").GetDouble():0.000} s)"));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleaning.
        }
    }

    private async Task<JsonDocument> GetAsync(string path)
    {
        using var response = await Http.GetAsync(path, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private async Task WaitReadyAsync()
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(process.HasExited, $"Prometheus exited with {(process.HasExited ? process.ExitCode : 0)}:\n{Output}");
            try
            {
                using var response = await Http.GetAsync("/-/ready", TestContext.Current.CancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"Prometheus was not ready within 30 s:\n{Output}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The prometheus binary: <c>HOLDFAST_PROMETHEUS</c>, else Debian's (scripts/setup installs it).</summary>
    public static string Locate()
    {
        var path = Environment.GetEnvironmentVariable("HOLDFAST_PROMETHEUS") is { Length: > 0 } given ? given : "/usr/bin/prometheus";
        Assert.True(File.Exists(path), $"Prometheus is not installed at {path}: run scripts/setup (it installs Debian's 'prometheus'), or set HOLDFAST_PROMETHEUS");
        return path;
    }

    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Holdfast.slnx")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        return directory.FullName;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
