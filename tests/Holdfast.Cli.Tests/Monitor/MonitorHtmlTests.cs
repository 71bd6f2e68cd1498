using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Holdfast.Cli.Tests.Support;
using Holdfast.Testing;
using Holdfast.TestSupport;

namespace Holdfast.Cli.Tests.Monitor;

/// <summary><c>holdfast monitor --html</c>: one static page with the dashboard's charts, checked as data and in Chromium.</summary>
public sealed partial class MonitorHtmlTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;

    [Fact]
    public async Task Html_HoldsTheRunAsTheDashboardsData_AndDrawsItOfflineInChromium_WithNoErrorAndNoPassword()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        using var directory = new TempDirectory();
        var url = postgres.DatabaseUrlVia(proxy.Port);

        // Answering for the first samples, then refusing: each sample is a new connection through the proxy, so the switch
        // comes after the warm-up and two samples, however long the tool took to start.
        var refuse = Task.Run(async () =>
        {
            while (proxy.AcceptedConnections < 3)
            {
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }

            proxy.Refuse();
        }, TestContext.Current.CancellationToken);
        var run = await CliProcess.RunAsync(["monitor", "--duration", "6s", "--interval", "500ms", "--html", "report.html"],
            new Dictionary<string, string> { ["DATABASE_URL"] = url, ["HOLDFAST_ENVIRONMENT"] = "development" }, workingDirectory: directory.Path);
        await refuse;

        var path = Path.Combine(directory.Path, "report.html");
        Assert.True(File.Exists(path), run.ToString());
        Assert.Contains("html: " + path, run.Stdout, StringComparison.Ordinal);
        var html = await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(postgres.Password, html, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(postgres.Password), html, StringComparison.Ordinal);

        // The page allows its own inline style and script by hash, and nothing else.
        var policy = Policy().Match(html).Groups[1].Value;
        Assert.StartsWith("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains($"script-src '{Hash(Inline(html, "<script>", "</script>"))}'", policy, StringComparison.Ordinal);
        Assert.Contains($"style-src '{Hash(Inline(html, "<style>", "</style>"))}'", policy, StringComparison.Ordinal);

        using var data = JsonDocument.Parse(Inline(html, "<script type=\"application/json\" id=\"holdfast-data\">", "</script>"));
        var root = data.RootElement;
        Assert.Equal("monitor", root.GetProperty("source").GetString());
        Assert.Contains("***", root.GetProperty("endpoint").GetString(), StringComparison.Ordinal);
        Assert.Equal(10_000, root.GetProperty("thresholds")[0].GetProperty("warningMs").GetDouble());
        var points = root.GetProperty("recent").GetProperty("points").EnumerateArray().ToList();
        Assert.Contains(points, p => p.TryGetProperty("connect", out _) && p.TryGetProperty("operation", out _));
        Assert.Contains(points, p => p.TryGetProperty("failures", out var f) && f.TryGetProperty("refused", out _));
        Assert.Equal("Degraded", root.GetProperty("verdict").GetProperty("state").GetString());

        await using var chromium = await SystemChromium.LaunchAsync();
        var page = await chromium.Browser.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) => problems.Add($"console {message.Type}: {message.Text}");
        page.PageError += (_, error) => problems.Add($"page error: {error}");
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith("file://", StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
            {
                problems.Add($"request: {request.Url}");
            }
        };
        await page.GotoAsync(new Uri(path).AbsoluteUri);
        await page.WaitForFunctionAsync("() => +document.getElementById('latency-chart').getAttribute('data-points') > 0");
        Assert.True(await page.Locator("#latency-chart").GetAttributeAsync("data-failures") is { } failures && int.Parse(failures, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal("Degraded", await page.Locator("#service-state").TextContentAsync());
        var screenshot = Path.Combine(AppContext.BaseDirectory, "TestResults", "monitor-html", "report.png");
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        TestContext.Current.TestOutputHelper?.WriteLine($"{points.Count} points; screenshot: {screenshot}");
    }

    private static string Inline(string html, string open, string close)
    {
        var start = html.IndexOf(open, StringComparison.Ordinal) + open.Length;
        return html[start..html.IndexOf(close, start, StringComparison.Ordinal)];
    }

    private static string Hash(string inline) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(inline)));

    [GeneratedRegex("http-equiv=\"Content-Security-Policy\" content=\"([^\"]+)\"")]
    private static partial Regex Policy();
}
