using System.Diagnostics;
using System.Text.RegularExpressions;
using Holdfast.Chaos;
using Holdfast.Testing;
using ReferenceService.Tests.Support;

namespace ReferenceService.Tests.Deploy;

/// <summary>
/// deploy/prometheus as an SRE team uses it: the rules pass <c>promtool check rules</c> and their unit tests, every alert
/// says what to do and links a runbook section that exists, and a real Prometheus with the repository's configuration,
/// scraping the reference service as a process, sees the alerts go pending or firing on a real fault and resolve after it.
/// </summary>
public sealed partial class PrometheusTests
{
    private static readonly string RulesFile = Path.Combine(PrometheusServer.DeployDirectory, "holdfast-rules.yml");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Rules_PassPromtoolCheck_AndTheirUnitTests()
    {
        var check = await PromtoolAsync("check", "rules", RulesFile);
        Assert.True(check.ExitCode == 0, $"promtool check rules failed:\n{check.Output}");
        Assert.Matches(@"SUCCESS: \d+ rules found", check.Output);

        var test = await PromtoolAsync("test", "rules", Path.Combine(PrometheusServer.DeployDirectory, "holdfast-rules.test.yml"));
        Assert.True(test.ExitCode == 0, $"promtool test rules failed:\n{test.Output}");
        Assert.Contains("SUCCESS", test.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryAlert_HasASummaryAFixAndARunbookSectionThatExists()
    {
        var runbook = File.ReadAllText(Path.Combine(PrometheusServer.RepositoryRoot(), "docs", "runbook.md"));
        var alerts = Alerts(File.ReadAllText(RulesFile));
        Assert.True(alerts.Count >= 10, $"only {alerts.Count} alerts read from the rules file");
        Assert.All(alerts, alert =>
        {
            Assert.Contains("summary: ", alert.Body, StringComparison.Ordinal);
            Assert.Matches(@"description: >-[\s\S]*Fix: ", alert.Body);
            Assert.Matches(@"severity: (warning|critical)", alert.Body);
            var anchor = $"runbook_url: https://github.com/holdfast-dev/holdfast/blob/main/docs/runbook.md#{alert.Name.ToLowerInvariant()}";
            Assert.True(alert.Body.Contains(anchor, StringComparison.Ordinal), $"{alert.Name}: no runbook_url to its own section ({anchor})");
            Assert.True(runbook.Contains($"\n## {alert.Name}\n", StringComparison.Ordinal), $"docs/runbook.md has no section '## {alert.Name}'");
        });
    }

    [Fact]
    public async Task RealScrape_AlertsGoPendingOrFiringOnFaults_AndResolve_AndEveryMetricTheRulesUseIsExported()
    {
        // A certificate 5 days from its end (warns below 14), rotated at the end. Twelve callers on a pool of six: with
        // a second of latency on the path, the callers without a connection wait out their budget. Then the database
        // stops: the circuit opens and the instance is not ready, until it starts again.
        await using var postgres = await LocalPostgres.CreateAsync(new LocalPostgresOptions { Tls = new LocalPostgresTls { Validity = TimeSpan.FromDays(5) } }, Ct);
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["DATABASE_URL"] = Api.Url(postgres, proxy.Port) + $"?sslmode=verify-ca&sslrootcert={Uri.EscapeDataString(postgres.CertificateAuthorityFile!)}",
            ["HOLDFAST_ENVIRONMENT"] = "development",
            ["Holdfast__Timeouts__Operation"] = "2s",
            ["Holdfast__Pool__MaxSize"] = "6",
            ["Holdfast__Resilience__Tls__CertificateCheckInterval"] = "1s",
        });
        var email = await LoadChecks.ReadyWithAccountAsync(service);
        // As a kubelet does: /health/ready every second. Its probes are what refresh the certificate check.
        using var kubelet = new CancellationTokenSource();
        var probes = ProbeReadinessAsync(service, kubelet.Token);
        await using var prometheus = await PrometheusServer.StartAsync([$"127.0.0.1:{service.Port}"]);
        var within = TimeSpan.FromSeconds(30);

        await prometheus.WaitForAlertsAsync(a => Has(a, "HoldfastCertificateExpiresSoon", "firing"), within, "the certificate alert firing");
        Assert.DoesNotContain(await prometheus.AlertsAsync(), a => a.Name is "HoldfastCircuitOpen" or "HoldfastNotReady" or "HoldfastConnectionWaitTimeouts");

        await using (var load = ServiceLoad.Start(service.Http.BaseAddress!, email, LoadChecks.Password, concurrency: 12, limit: TimeSpan.FromSeconds(90)))
        {
            proxy.AddLatency(TimeSpan.FromSeconds(1));
            var slow = await prometheus.WaitForAlertsAsync(a => Has(a, "HoldfastConnectionWaitTimeouts", "firing") && Has(a, "HoldfastPoolSaturated", "pending"),
                within, "the wait-timeouts alert firing and the pool saturation pending on a slow path");
            Assert.Contains(slow, a => a.Name == "HoldfastConnectionWaitTimeouts" && a.Labels["db_client_connection_pool_name"] == "reference-service");
            proxy.Pass();

            await postgres.StopAsync(ShutdownMode.Fast, Ct);
            var down = await prometheus.WaitForAlertsAsync(a => Has(a, "HoldfastCircuitOpen", "pending") && Has(a, "HoldfastNotReady", "pending"),
                within, "the circuit and readiness alerts pending while the database is stopped");
            Assert.Contains(down, a => a.Name == "HoldfastCircuitOpen" && a.Labels["holdfast_data_source"] == "reference-service" && a.Labels["severity"] == "critical");
            await postgres.StartAsync(Ct);
            await prometheus.WaitForAlertsAsync(a => !a.Any(x => x.Name is "HoldfastCircuitOpen" or "HoldfastNotReady"), within,
                "the circuit and readiness alerts resolved after the start");
            await load.StopAsync();
        }

        await postgres.ReplaceCertificateAsync(TestCertificateProblem.None, TimeSpan.FromDays(90), Ct);
        await prometheus.WaitForAlertsAsync(a => !a.Any(x => x.Name == "HoldfastCertificateExpiresSoon"), within, "the certificate alert resolved after the rotation");

        await kubelet.CancelAsync();
        await probes;
        var exported = await prometheus.MetricNamesAsync();
        var used = MetricNames(File.ReadAllText(RulesFile));
        Assert.True(used.Count >= 10, $"only {used.Count} metric names read from the rules' expressions");
        var missing = used.Where(name => !exported.Contains(name)).ToList();
        Assert.True(missing.Count == 0, $"the rules use metrics the service never exported: {string.Join(", ", missing)}");

        // The Grafana dashboard: every metric its expressions read was exported, and each expression, with its variables
        // set to "all", evaluates without an error in this Prometheus.
        var panels = GrafanaDashboard.Load().Expressions;
        var dashboardMissing = MetricNamesOf(panels.Select(p => p.Expression)).Where(name => !exported.Contains(name)).ToList();
        Assert.True(dashboardMissing.Count == 0, $"the dashboard uses metrics the service never exported: {string.Join(", ", dashboardMissing)}");
        foreach (var (panel, expression) in panels)
        {
            var error = await prometheus.QueryErrorAsync(GrafanaDashboard.WithAllSelected(expression));
            Assert.True(error is null, $"panel '{panel}': {expression}: {error}");
        }
    }

    private static async Task ProbeReadinessAsync(ServiceProcess service, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await service.Http.GetAsync("/health/ready", stop);
                await Task.Delay(TimeSpan.FromSeconds(1), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static bool Has(IReadOnlyList<PrometheusAlert> alerts, string name, string state) =>
        alerts.Any(a => a.Name == name && a.State == state);

    /// <summary>Each alert of a rules file: its name and its text up to the next rule.</summary>
    internal static IReadOnlyList<(string Name, string Body)> Alerts(string rules) =>
        [.. AlertPattern().Matches(rules).Select(m => (m.Groups["name"].Value, m.Groups["body"].Value))];

    /// <summary>
    /// The metric names the rules' expressions read: identifiers of Holdfast's and the conventions' families, once the
    /// label names (inside selectors and by/on/group clauses) and recording rules (they have colons) are taken out.
    /// </summary>
    internal static IReadOnlySet<string> MetricNames(string rules) =>
        MetricNamesOf(ExpressionPattern().Matches(rules).Select(m => m.Groups["expr"].Value));

    /// <summary>The metric names some PromQL expressions read (see <see cref="MetricNames"/>).</summary>
    internal static IReadOnlySet<string> MetricNamesOf(IEnumerable<string> expressions)
    {
        var withoutLabels = LabelListPattern().Replace(SelectorPattern().Replace(string.Join("\n", expressions), ""), "");
        return MetricNamePattern().Matches(withoutLabels).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> PromtoolAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(File.Exists("/usr/bin/promtool") ? "/usr/bin/promtool" : "promtool")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = PrometheusServer.DeployDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"- alert: (?<name>\w+)\n(?<body>(?:(?!\n\s+- (?:alert|record): )[\s\S])*)")]
    private static partial Regex AlertPattern();

    [GeneratedRegex(@"expr: (?:\|\n(?<expr>(?:[ ]{10,}.*\n)+)|(?<expr>.*))")]
    private static partial Regex ExpressionPattern();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex SelectorPattern();

    [GeneratedRegex(@"\b(?:by|on|without|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex LabelListPattern();

    [GeneratedRegex(@"\b(?:db_client|holdfast)_[a-z0-9_]+\b(?!:)")]
    private static partial Regex MetricNamePattern();
}
