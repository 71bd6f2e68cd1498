using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Holdfast.Testing;
using Holdfast.TestSupport;
using Microsoft.Playwright;
using ReferenceService.Tests.Support;

namespace ReferenceService.Tests;

/// <summary>
/// The dashboard in a real browser (the machine's Chromium, headless), on the reference service as a process whose
/// database is behind a fault proxy, with a few callers keeping it busy: the same open page follows the outage and the
/// heal without a reload, asks nothing of any other host, logs no error, and never shows the password.
/// The class runs alone: the 3 s it has to show the outage is the page's refresh plus the circuit's reaction, not a
/// queue behind two dozen callers hashing passwords in another test.
/// </summary>
[Collection(Alone)]
public sealed class DashboardTests
{
    public const string Alone = "dashboard in a browser, alone";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string ScreenshotDirectory => Path.Combine(AppContext.BaseDirectory, "TestResults", "dashboard");

    [Fact]
    public async Task OpenPage_FollowsAnOutageAndTheHeal_WithoutReload_ShowsEveryPhaseAndLatency_NothingExternalNoErrorNoPassword()
    {
        await using var postgres = await LocalPostgres.CreateAsync(cancellationToken: Ct);
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["DATABASE_URL"] = Api.Url(postgres, proxy.Port),
            ["HOLDFAST_ENVIRONMENT"] = "development",
        });
        await service.WaitForAsync("/health/ready");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var traffic = Traffic(service.Http.BaseAddress!, callers: 6, stop.Token);

        await using var chromium = await SystemChromium.LaunchAsync();
        var page = await chromium.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1000 } });
        var errors = new List<string>();
        var requests = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                lock (errors)
                {
                    errors.Add($"console {message.Type}: {message.Text}");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (errors)
            {
                errors.Add($"page error: {error}");
            }
        };
        page.Request += (_, request) =>
        {
            lock (requests)
            {
                requests.Add(request.Url);
            }
        };

        var dashboard = new Uri(service.Http.BaseAddress!, "/holdfast");
        var response = await page.GotoAsync(dashboard.ToString());
        Assert.Equal(200, response!.Status);
        Assert.Contains("default-src 'none'", await response.HeaderValueAsync("content-security-policy") ?? "", StringComparison.Ordinal);
        await page.EvaluateAsync("() => { window.holdfastTestMarker = 'same page'; }");

        var expectations = new LocatorAssertionsToHaveTextOptions { Timeout = 15_000 };
        await Assertions.Expect(page.Locator("#service-state")).ToHaveTextAsync("Ready", expectations);
        await Assertions.Expect(page.Locator("#circuit-state")).ToHaveTextAsync("Closed", expectations);
        await page.WaitForFunctionAsync("() => +document.getElementById('latency-chart').getAttribute('data-points') > 0", null, new() { Timeout = 15_000 });
        var phases = await PhasesOfTheReportAsync(service);
        Assert.Equal(phases, await page.Locator("#phase-list li").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.phase)"));
        Assert.All(await page.Locator("#phase-list li").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.status)"), s => Assert.Equal("Succeeded", s));
        var ready = await ScreenshotAsync(page, "1-ready.png");
        await AssertNoPasswordAsync(page, service, postgres.Password);

        // The database goes away: the callers fail, the circuit opens, and the open page shows it at its next refresh.
        proxy.Refuse();
        var refusedAt = Stopwatch.StartNew();
        await Assertions.Expect(page.Locator("#circuit-state")).ToHaveTextAsync("Open", new() { Timeout = 3_000 });
        await Assertions.Expect(page.Locator("#service-state")).ToHaveTextAsync("Degraded", new() { Timeout = Math.Max(100, 3_000 - (float)refusedAt.Elapsed.TotalMilliseconds) });
        var shownOpenAfter = refusedAt.Elapsed;
        await Assertions.Expect(page.Locator("#database-state")).ToHaveTextAsync("not answering", new() { Timeout = 3_000 });
        await page.WaitForFunctionAsync("() => +document.getElementById('latency-chart').getAttribute('data-failures') > 0", null, new() { Timeout = 5_000 });
        var outage = await ScreenshotAsync(page, "2-outage.png");
        await AssertNoPasswordAsync(page, service, postgres.Password);

        proxy.Pass();
        var healedAt = Stopwatch.StartNew();
        await Assertions.Expect(page.Locator("#circuit-state")).ToHaveTextAsync("Closed", new() { Timeout = 10_000 });
        await Assertions.Expect(page.Locator("#service-state")).ToHaveTextAsync("Ready", new() { Timeout = 10_000 });
        await Assertions.Expect(page.Locator("#database-state")).ToHaveTextAsync("answering", new() { Timeout = 10_000 });
        var shownClosedAfter = healedAt.Elapsed;
        var recovered = await ScreenshotAsync(page, "3-recovered.png");
        await AssertNoPasswordAsync(page, service, postgres.Password);

        await stop.CancelAsync();
        await traffic;
        Assert.Equal("same page", await page.EvaluateAsync<string>("() => window.holdfastTestMarker"));
        var origin = service.Http.BaseAddress!.GetLeftPart(UriPartial.Authority);
        lock (requests)
        {
            Assert.NotEmpty(requests);
            Assert.All(requests, url => Assert.StartsWith(origin + "/holdfast", url, StringComparison.Ordinal));
        }

        lock (errors)
        {
            Assert.True(errors.Count == 0, string.Join("\n", errors));
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"open shown {shownOpenAfter.TotalSeconds:0.00} s after the proxy refused; closed shown {shownClosedAfter.TotalSeconds:0.00} s after the heal; " +
            $"{requests.Count} requests, all to {origin}/holdfast; screenshots: {ready}, {outage}, {recovered}");
    }

    [Fact]
    public async Task RemoteLookingRequest_IsRefused_WithTheWayToExposeItSafely()
    {
        await using var postgres = await LocalPostgres.CreateAsync(cancellationToken: Ct);
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["DATABASE_URL"] = Api.Url(postgres),
            ["HOLDFAST_ENVIRONMENT"] = "development",
        });
        await service.WaitForAsync("/health/ready");
        foreach (var path in new[] { "/holdfast", "/holdfast/api/state", "/holdfast/dashboard.js" })
        {
            using var local = await service.Http.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.OK, local.StatusCode);
            using var proxied = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { { "X-Forwarded-For", "203.0.113.7" } } };
            using var refused = await service.Http.SendAsync(proxied, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("AuthorizationPolicy", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
    }

    private static async Task<string[]> PhasesOfTheReportAsync(ServiceProcess service)
    {
        using var health = await service.Http.HealthAsync();
        return [.. health.RootElement.GetProperty("startup").GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("name").GetString()!)];
    }

    private static async Task AssertNoPasswordAsync(IPage page, ServiceProcess service, string password)
    {
        var content = await page.ContentAsync();
        Assert.DoesNotContain(password, content, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(password), content, StringComparison.Ordinal);
        var json = await service.Http.GetStringAsync("/holdfast/api/state?history=1", Ct);
        using var parsed = JsonDocument.Parse(json);
        Assert.Contains("***", parsed.RootElement.GetProperty("endpoint").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(password, json, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(password), json, StringComparison.Ordinal);
    }

    private static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(ScreenshotDirectory, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    /// <summary>A few callers listing notes (EF Core, through Holdfast) until stopped: what opens the circuit when the database goes.</summary>
    private static Task Traffic(Uri service, int callers, CancellationToken stop) => Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
    {
        using var http = new HttpClient { BaseAddress = service, Timeout = TimeSpan.FromSeconds(30) };
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await http.GetAsync(new Uri("/notes", UriKind.Relative), stop);
                await Task.Delay(TimeSpan.FromMilliseconds(response.IsSuccessStatusCode ? 50 : 100), stop);
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
            {
                // Stopped, or the answer did not come: the next call tries again.
            }
        }
    }, CancellationToken.None)));
}

/// <summary>The browser test runs with no other test class beside it.</summary>
[CollectionDefinition(DashboardTests.Alone, DisableParallelization = true)]
public sealed class DashboardBrowserCollection;
