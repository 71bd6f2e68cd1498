using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Holdfast.Testing;

/// <summary>
/// A throwaway Prometheus: the machine's <c>prometheus</c> (Debian's package) with a configuration and rule files of
/// the caller's in a directory of its own, its storage there too, on a free port of 127.0.0.1. It asks nothing of the
/// network beyond the targets it is given. Dispose it to stop it and delete the directory.
/// </summary>
/// <example>
/// <code>
/// await using var prometheus = await LocalPrometheus.StartAsync(new LocalPrometheusOptions
/// {
///     Configuration = File.ReadAllText("prometheus.yml").Replace("127.0.0.1:8080", $"127.0.0.1:{port}"),
///     RuleFiles = ["holdfast-rules.yml"],
/// });
/// var alerts = await prometheus.AlertsAsync();
/// </code>
/// </example>
public sealed class LocalPrometheus : IAsyncDisposable
{
    /// <summary>The variable naming the <c>prometheus</c> program when it is not Debian's.</summary>
    public const string ExecutableVariable = "HOLDFAST_PROMETHEUS";

    private readonly Process process;
    private readonly StringBuilder output = new();
    private int disposed;

    private LocalPrometheus(Process process, string rootDirectory, int port)
    {
        this.process = process;
        RootDirectory = rootDirectory;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Its directory: the configuration, the rule files and the storage.</summary>
    public string RootDirectory { get; }

    /// <summary>The port of its web interface and API, on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>A client for its HTTP API.</summary>
    public HttpClient Http { get; }

    /// <summary>What it logged (warnings and errors).</summary>
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

    /// <summary>The <c>prometheus</c> program this machine has: <see cref="ExecutableVariable"/>, else <c>/usr/bin/prometheus</c>; null when neither exists.</summary>
    public static string? FindExecutable() =>
        Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } given && File.Exists(given) ? given
        : File.Exists("/usr/bin/prometheus") ? "/usr/bin/prometheus"
        : null;

    /// <summary>Starts Prometheus and waits until it is ready.</summary>
    /// <param name="options">The configuration and rule files.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="InvalidOperationException">Prometheus is not installed, exited, or was not ready in time.</exception>
    public static async Task<LocalPrometheus> StartAsync(LocalPrometheusOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var executable = options.Executable ?? FindExecutable() ?? throw new InvalidOperationException(
            $"Prometheus is not installed: run scripts/setup (it installs Debian's 'prometheus'), or set {ExecutableVariable} to the program.");
        var directory = Directory.CreateTempSubdirectory("holdfast-prometheus-").FullName;
        foreach (var rules in options.RuleFiles)
        {
            File.Copy(rules, Path.Combine(directory, Path.GetFileName(rules)));
        }

        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, options.Configuration, cancellationToken).ConfigureAwait(false);
        var port = LocalResources.FreePort();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var argument in new[]
                 {
                     $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "data")}", $"--web.listen-address=127.0.0.1:{port}",
                     "--log.level=warn",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var prometheus = new LocalPrometheus(Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start"), directory, port);
        try
        {
            await prometheus.WaitReadyAsync(options.StartTimeout, cancellationToken).ConfigureAwait(false);
            return prometheus;
        }
        catch
        {
            await prometheus.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The alerts it holds now, pending or firing.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<IReadOnlyList<PrometheusAlert>> AlertsAsync(CancellationToken cancellationToken = default)
    {
        using var document = await GetAsync("/api/v1/alerts", cancellationToken).ConfigureAwait(false);
        return [.. document.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray().Select(a => new PrometheusAlert(
            a.GetProperty("labels").GetProperty("alertname").GetString()!,
            a.GetProperty("state").GetString()!,
            a.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal)))];
    }

    /// <summary>Every metric name it has stored.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<IReadOnlySet<string>> MetricNamesAsync(CancellationToken cancellationToken = default)
    {
        using var document = await GetAsync("/api/v1/label/__name__/values", cancellationToken).ConfigureAwait(false);
        return document.RootElement.GetProperty("data").EnumerateArray().Select(n => n.GetString()!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Evaluates an instant query now: its samples' values by their labels' text, or its error.</summary>
    /// <param name="expression">PromQL.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<(IReadOnlyList<(string Labels, double Value)> Samples, string? Error)> QueryAsync(string expression, CancellationToken cancellationToken = default)
    {
        using var response = await Http.GetAsync(new Uri($"/api/v1/query?query={Uri.EscapeDataString(expression)}", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        var root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            return ([], root.GetProperty("error").GetString());
        }

        var data = root.GetProperty("data");
        return data.GetProperty("resultType").GetString() != "vector"
            ? ([], null)
            : ([.. data.GetProperty("result").EnumerateArray().Select(r => (
                r.GetProperty("metric").ToString(),
                double.Parse(r.GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture)))], null);
    }

    /// <summary>Each scrape target's address, health, last error and last scrape's duration, in one line (for a failure's message).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<string> DescribeTargetsAsync(CancellationToken cancellationToken = default)
    {
        using var document = await GetAsync("/api/v1/targets", cancellationToken).ConfigureAwait(false);
        return string.Join("; ", document.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray().Select(t =>
            $"{t.GetProperty("scrapeUrl").GetString()} {t.GetProperty("health").GetString()} {t.GetProperty("lastError").GetString()} " +
            $"({t.GetProperty("lastScrapeDuration").GetDouble().ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)} s)"));
    }

    /// <summary>Stops it and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        Http.Dispose();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }

        process.Dispose();
        LocalResources.DeleteDirectory(RootDirectory);
    }

    private async Task<JsonDocument> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await Http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }

    private async Task WaitReadyAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)within.TotalMilliseconds;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Prometheus exited with {process.ExitCode}: {Output}");
            }

            try
            {
                using var response = await Http.GetAsync(new Uri("/-/ready", UriKind.Relative), cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (Environment.TickCount64 > deadline)
            {
                throw new InvalidOperationException($"Prometheus was not ready within {within.TotalSeconds} s: {Output}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
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
