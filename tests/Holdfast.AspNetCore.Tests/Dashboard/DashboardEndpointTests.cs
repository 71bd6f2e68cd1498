using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Holdfast.Testing;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Holdfast.AspNetCore.Tests.Dashboard;

/// <summary>The dashboard's endpoints on a real Kestrel on 127.0.0.1, against a real PostgreSQL, some through a fault proxy.</summary>
public sealed class DashboardEndpointTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Page_ScriptStyleAndState_AreServedWithAStrictPolicy_AndTheStateFollowsTheSource()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        await using var app = await StartAsync(postgres.DatabaseUrlVia(proxy.Port), app => app.MapHoldfastDashboard(configure: o => o.RefreshInterval = TimeSpan.FromSeconds(2)));
        using var http = Client(app);

        using var page = await http.GetAsync("/holdfast", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.StartsWith("default-src 'none'; script-src 'self'; style-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Contains("data-api=\"/holdfast/api/state\" data-refresh-ms=\"2000\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<style", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        foreach (var (path, type) in new[] { ("/holdfast/dashboard.js", "text/javascript"), ("/holdfast/dashboard.css", "text/css"), ("/holdfast/favicon.svg", "image/svg+xml") })
        {
            using var asset = await http.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.Equal(type, asset.Content.Headers.ContentType?.MediaType);
        }

        var source = app.Services.GetRequiredService<HoldfastDataSource>();
        for (var i = 0; i < 5; i++)
        {
            await source.ExecuteAsync(async (c, ct) => await new Npgsql.NpgsqlCommand("SELECT 1", c).ExecuteScalarAsync(ct), Ct);
        }

        using (var state = await StateAsync(http, "?history=1"))
        {
            var root = state.RootElement;
            Assert.Equal(1, root.GetProperty("version").GetInt32());
            Assert.Equal("Ready", root.GetProperty("verdict").GetProperty("state").GetString());
            Assert.Contains("***", root.GetProperty("endpoint").GetString(), StringComparison.Ordinal);
            Assert.Equal(1, root.GetProperty("recent").GetProperty("resolutionSeconds").GetDouble());
            Assert.Equal(60, root.GetProperty("history").GetProperty("resolutionSeconds").GetDouble());
            var points = root.GetProperty("recent").GetProperty("points").EnumerateArray().ToList();
            Assert.Equal(5, points.Sum(p => p.TryGetProperty("operation", out var o) ? o.GetProperty("count").GetInt32() : 0));
            Assert.Contains(points, p => p.TryGetProperty("pool", out _) && p.GetProperty("circuit").GetString() == "Closed");
            Assert.Equal(["configuration", "database", "health"],
                root.GetProperty("health").GetProperty("startup").GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
            AssertNoPassword(root.GetRawText());

            // Asked from its newest point on, the state carries that point again (completed) and nothing older.
            var newest = points.Max(p => p.GetProperty("at").GetDateTimeOffset());
            using var since = await StateAsync(http, $"?since={newest.ToUnixTimeMilliseconds()}");
            Assert.All(since.RootElement.GetProperty("recent").GetProperty("points").EnumerateArray(), p => Assert.True(p.GetProperty("at").GetDateTimeOffset() >= newest));
            Assert.False(since.RootElement.TryGetProperty("history", out _));
        }

        proxy.Refuse();
        for (var i = 0; i < 8; i++)
        {
            await Assert.ThrowsAnyAsync<DatabaseConnectionException>(async () =>
                await source.ExecuteAsync(async (c, ct) => await new Npgsql.NpgsqlCommand("SELECT 1", c).ExecuteScalarAsync(ct), TimeSpan.FromSeconds(1), Ct));
        }

        using (var state = await StateAsync(http, ""))
        {
            var root = state.RootElement;
            Assert.Equal("Degraded", root.GetProperty("verdict").GetProperty("state").GetString());
            Assert.Contains("circuit is open", root.GetProperty("verdict").GetProperty("summary").GetString(), StringComparison.Ordinal);
            var points = root.GetProperty("recent").GetProperty("points").EnumerateArray().ToList();
            // Five connection-level failures in a row open the circuit (a reset among them when the proxy cut the pooled connection).
            var failures = points.Where(p => p.TryGetProperty("failures", out _)).SelectMany(p => p.GetProperty("failures").EnumerateObject()).ToList();
            Assert.True(failures.Sum(f => f.Value.GetInt32()) >= 5, root.GetProperty("recent").GetRawText());
            Assert.Contains(failures, f => f.Name == "refused");
            Assert.True(points.Sum(p => p.TryGetProperty("rejected", out var r) ? r.GetInt32() : 0) >= 1, root.GetProperty("recent").GetRawText());
            AssertNoPassword(root.GetRawText());
        }
    }

    [Fact]
    public async Task WithoutAPolicy_OnlyLocalRequestsAreAnswered_AProxiedOneIsRefusedWithTheWayToOpenIt()
    {
        await using var app = await StartAsync(postgres.DatabaseUrl, app => app.MapHoldfastDashboard());
        using var http = Client(app);

        using var proxied = new HttpRequestMessage(HttpMethod.Get, "/holdfast/api/state") { Headers = { { "Forwarded", "for=203.0.113.7" } } };
        using var refused = await http.SendAsync(proxied, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("AuthorizationPolicy", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        using var local = await http.GetAsync("/holdfast/api/state", Ct);
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
    }

    [Fact]
    public async Task TrustedForwardedHeaders_ClaimingLoopback_DoNotMakeARemoteCallerLocal()
    {
        // ASPNETCORE_FORWARDEDHEADERS_ENABLED=true trusts every sender: X-Forwarded-For 127.0.0.1 becomes the caller's address.
        await using var app = await StartAsync(postgres.DatabaseUrl, app =>
        {
            var options = new ForwardedHeadersOptions { ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor };
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            app.UseForwardedHeaders(options);
            app.MapHoldfastDashboard();
        });
        using var http = Client(app);
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, "/holdfast/api/state") { Headers = { { "X-Forwarded-For", "127.0.0.1" } } };

        using var refused = await http.SendAsync(spoofed, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task APolicyUnderAllowAnonymous_DoesNotOpenTheDashboardToEveryone()
    {
        await using var app = await StartAsync(postgres.DatabaseUrl, app => app.MapGroup("").AllowAnonymous().MapHoldfastDashboard(configure: o => o.AuthorizationPolicy = "operators"),
            OperatorsPolicy);
        using var http = Client(app);
        using var remote = new HttpRequestMessage(HttpMethod.Get, "/holdfast/api/state") { Headers = { { "X-Forwarded-For", "203.0.113.7" } } };

        using var answer = await http.SendAsync(remote, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
    }

    [Fact]
    public async Task WithAPolicy_ThePolicyDecides_LocalOrNot()
    {
        await using var app = await StartAsync(postgres.DatabaseUrl, app => app.MapHoldfastDashboard("/ops/db", o => o.AuthorizationPolicy = "operators"),
            OperatorsPolicy);
        using var http = Client(app);

        using (var anonymous = await http.GetAsync("/ops/db", Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using var remoteOperator = new HttpRequestMessage(HttpMethod.Get, "/ops/db/api/state");
        remoteOperator.Headers.Authorization = new AuthenticationHeaderValue("Token", "operator");
        remoteOperator.Headers.Add("X-Forwarded-For", "203.0.113.7");
        using var admitted = await http.SendAsync(remoteOperator, Ct);
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        using var page = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/ops/db") { Headers = { Authorization = new AuthenticationHeaderValue("Token", "operator") } }, Ct);
        Assert.Contains("data-api=\"/ops/db/api/state\"", await page.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefreshIntervalOutOfRange_IsRefusedWhenMapped()
    {
        await using var app = await StartAsync(postgres.DatabaseUrl, _ => { });
        var error = Assert.Throws<ValidationException>(() => app.MapHoldfastDashboard(configure: o => o.RefreshInterval = TimeSpan.FromMilliseconds(100)));
        Assert.Contains("RefreshInterval", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A policy "operators" that admits a request with "Authorization: Token operator".</summary>
    private static void OperatorsPolicy(IServiceCollection services)
    {
        services.AddAuthentication("token").AddScheme<AuthenticationSchemeOptions, TokenHandler>("token", null);
        services.AddAuthorization(o => o.AddPolicy("operators", p => p.RequireClaim("role", "operator")));
    }

    private void AssertNoPassword(string text)
    {
        Assert.DoesNotContain(postgres.Password, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(postgres.Password), text, StringComparison.Ordinal);
    }

    private static async Task<WebApplication> StartAsync(string url, Action<WebApplication> map, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration["DATABASE_URL"] = url;
        builder.Configuration["HOLDFAST_ENVIRONMENT"] = "test";
        builder.Services.AddHoldfast(builder.Configuration);
        services?.Invoke(builder.Services);
        var app = builder.Build();
        if (services is not null)
        {
            app.UseAuthentication();
            app.UseAuthorization();
        }

        map(app);
        await app.StartAsync(Ct);
        var startup = app.Services.GetRequiredService<Holdfast.Startup.StartupOrchestrator>();
        for (var waited = 0; startup.Report.Outcome == Holdfast.Startup.StartupOutcome.Starting && waited < 300; waited++)
        {
            await Task.Delay(100, Ct);
        }
        return app;
    }

    private static HttpClient Client(WebApplication app) => new()
    {
        BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()),
    };

    private static async Task<JsonDocument> StateAsync(HttpClient http, string query)
    {
        using var response = await http.GetAsync(new Uri("/holdfast/api/state" + query, UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>A test scheme: "Authorization: Token operator" signs in with the operator role.</summary>
    private sealed class TokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
            Task.FromResult(Request.Headers.Authorization.ToString() is "Token operator"
                ? AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity([new Claim("role", "operator")], "token")), "token"))
                : AuthenticateResult.NoResult());
    }
}
