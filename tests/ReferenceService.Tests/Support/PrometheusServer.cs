using System.Diagnostics;
using Holdfast.Testing;

namespace ReferenceService.Tests.Support;

/// <summary>
/// A <see cref="LocalPrometheus"/> with the repository's deploy/prometheus/prometheus.yml and rules: the same file, with
/// its targets pointed at the given services and its intervals at one second, so a test sees the rules evaluated in
/// seconds, not minutes.
/// </summary>
internal sealed class PrometheusServer(LocalPrometheus prometheus) : IAsyncDisposable
{
    public LocalPrometheus Prometheus { get; } = prometheus;

    /// <summary>The repository's deploy/prometheus directory (rules, their tests, the example configuration).</summary>
    public static string DeployDirectory => Path.Combine(RepositoryRoot(), "deploy", "prometheus");

    /// <summary>Starts Prometheus scraping <paramref name="targets"/> (host:port) as the example configuration's job.</summary>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyList<string> targets)
    {
        var config = File.ReadAllText(Path.Combine(DeployDirectory, "prometheus.yml"));
        var fast = config.Replace("scrape_interval: 15s", "scrape_interval: 1s", StringComparison.Ordinal)
            .Replace("evaluation_interval: 15s", "evaluation_interval: 1s", StringComparison.Ordinal)
            .Replace("targets: ['127.0.0.1:8080']", $"targets: [{string.Join(", ", targets.Select(t => $"'{t}'"))}]", StringComparison.Ordinal);
        Assert.True(fast.Contains("scrape_interval: 1s", StringComparison.Ordinal) && fast.Contains(targets[0], StringComparison.Ordinal),
            "deploy/prometheus/prometheus.yml no longer has the intervals and the target this test points at the service");
        Assert.True(LocalPrometheus.FindExecutable() is not null, "Prometheus is not installed: run scripts/setup (it installs Debian's 'prometheus')");
        return new PrometheusServer(await LocalPrometheus.StartAsync(
            new LocalPrometheusOptions { Configuration = fast, RuleFiles = [Path.Combine(DeployDirectory, "holdfast-rules.yml")] },
            TestContext.Current.CancellationToken));
    }

    public Task<IReadOnlyList<PrometheusAlert>> AlertsAsync() => Prometheus.AlertsAsync(TestContext.Current.CancellationToken);

    public Task<IReadOnlySet<string>> MetricNamesAsync() => Prometheus.MetricNamesAsync(TestContext.Current.CancellationToken);

    /// <summary>Evaluates <paramref name="expression"/> now: null when Prometheus accepts it, else its error.</summary>
    public async Task<string?> QueryErrorAsync(string expression) => (await Prometheus.QueryAsync(expression, TestContext.Current.CancellationToken)).Error;

    /// <summary>Waits until <paramref name="condition"/> holds for the alerts, or fails after <paramref name="within"/> naming what it saw.</summary>
    public async Task<IReadOnlyList<PrometheusAlert>> WaitForAlertsAsync(Func<IReadOnlyList<PrometheusAlert>, bool> condition, TimeSpan within, string what)
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
                            $"targets: {await Prometheus.DescribeTargetsAsync(TestContext.Current.CancellationToken)}\n{Prometheus.Output}");
            }

            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }

    public ValueTask DisposeAsync() => Prometheus.DisposeAsync();

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
}
