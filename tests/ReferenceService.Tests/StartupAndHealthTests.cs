using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Holdfast.Testing;
using ReferenceService.Tests.Support;

namespace ReferenceService.Tests;

/// <summary>The reference service run as a process against a real PostgreSQL and the fault proxy.</summary>
public sealed partial class StartupAndHealthTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HealthyStart_IsReady_SignInAndDataWork_AndTheReportListsEveryPhase()
    {
        await using var service = ServiceProcess.Start(new Dictionary<string, string> { ["DATABASE_URL"] = Api.Url(postgres) });
        await service.WaitForAsync("/health/ready");

        await service.Http.AssertAccountFlowWorksAsync();

        using var health = await service.Http.HealthAsync();
        var startup = health.RootElement.GetProperty("startup");
        Assert.Equal("Ready", startup.GetProperty("outcome").GetString());
        var phases = startup.GetProperty("phases").EnumerateArray().ToList();
        Assert.Equal(["configuration", "database", "schema-setup", "migrations (NotesDb)", "health"], phases.Select(p => p.GetProperty("name").GetString()));
        Assert.All(phases, p => Assert.Equal("Succeeded", p.GetProperty("status").GetString()));
        Assert.Equal("Closed", health.RootElement.GetProperty("circuit").GetProperty("state").GetString());
        Assert.DoesNotContain(postgres.Password, health.RootElement.GetRawText(), StringComparison.Ordinal);
        Assert.Matches(PhaseLogLine(), service.Stdout);
        // No variable names an environment: production, as the .NET host itself runs.
        Assert.Equal("production", health.RootElement.GetProperty("environment").GetString());
        Assert.Contains("Starting in the production environment (from default, as the .NET host)", service.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongPassword_ExitsFourWithinTwoSecondsOfTheDatabasePhase_NamingTheKindAndTheFix()
    {
        const string Wrong = "Wr0ng-cr3t-Pw";
        await using var service = ServiceProcess.Start(new Dictionary<string, string> { ["DATABASE_URL"] = Api.Url(postgres, password: Wrong) });

        var exitCode = await service.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(4, exitCode);
        var stderr = service.Stderr;
        Assert.Contains("phase 'database'", stderr, StringComparison.Ordinal);
        Assert.Contains("AuthenticationFailed", stderr, StringComparison.Ordinal);
        Assert.Contains("check the user and password", stderr, StringComparison.Ordinal);
        var spent = double.Parse(FailureTiming().Match(stderr).Groups["spent"].Value, CultureInfo.InvariantCulture);
        Assert.True(spent < 2, $"the database phase took {spent} s");
        Assert.DoesNotContain(Wrong, stderr + service.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StagingTimeoutBelowItsFloor_StopsTheHostWithExitTwoNamingTheSetting()
    {
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["DATABASE_URL"] = Api.Url(postgres),
            ["HOLDFAST_ENVIRONMENT"] = "staging",
            ["Holdfast__Timeouts__Connection"] = "20",
        });

        Assert.Equal(2, await service.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Holdfast:Timeouts:Connection: is 20 s, below the staging floor of 35 s", service.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", service.Stderr + service.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABusyPort_IsAConfigurationError_OneLineAndExitTwo_NoStackTrace()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["DATABASE_URL"] = Api.Url(postgres),
            ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
        });

        Assert.Equal(2, await service.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains($"holdfast: cannot listen on http://127.0.0.1:{port}: the address is already in use", service.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", service.Stderr + service.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownConnectionStringKeyword_IsAConfigurationError_WithoutTheSecret()
    {
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["ConnectionStrings__Database"] = $"Host={postgres.Host};Port={postgres.Port};Username={postgres.Username};Password={postgres.Password};Foo=",
        });

        Assert.Equal(2, await service.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("the keyword 'Foo' is not one Npgsql knows", service.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", service.Stderr + service.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(postgres.Password, service.Stderr + service.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StagingWithTheDatabaseRefusing_StartsDegraded_ThenTurnsReadyWhenTheDatabaseReturns()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.Refuse();
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["DATABASE_URL"] = Api.Url(postgres, proxy.Port),
            ["HOLDFAST_ENVIRONMENT"] = "staging",
        });

        await service.WaitForAsync("/health/startup");
        using (var health = await service.Http.HealthAsync())
        {
            Assert.Equal("Degraded", health.RootElement.GetProperty("startup").GetProperty("outcome").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, (await service.Http.GetAsync("/health/live", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await service.Http.GetAsync("/health/ready", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await service.Http.GetAsync("/status", Ct)).StatusCode);
        // The first request also compiles the endpoint; time warm ones: they must not wait on the database at all.
        (await service.Http.SignInAsync("ada@example.com")).Dispose();
        var timings = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            using var refused = await service.Http.SignInAsync("ada@example.com");
            timings.Add(watch.Elapsed);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        }

        var median = timings.Order().ElementAt(timings.Count / 2);
        Assert.True(median < TimeSpan.FromMilliseconds(100), $"503 took {median.TotalMilliseconds:0.0} ms (median of 5)");
        Assert.All(timings, t => Assert.True(t < TimeSpan.FromSeconds(1), $"a 503 took {t.TotalMilliseconds:0} ms"));

        proxy.Pass();
        await service.WaitForAsync("/health/ready", within: TimeSpan.FromSeconds(30));
        var email = $"back-{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.Created, (await service.Http.SignUpAsync(email)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await service.Http.SignInAsync(email)).StatusCode);
        using var after = await service.Http.HealthAsync();
        Assert.Equal("Ready", after.RootElement.GetProperty("startup").GetProperty("outcome").GetString());
        Assert.True(after.RootElement.GetProperty("startup").GetProperty("recoveryAttempts").GetInt32() >= 1);
    }

    [Fact]
    public async Task TwoHundredConcurrentReadinessRequests_UseAtMostTwoDatabaseConnectionsForProbes()
    {
        await using var service = ServiceProcess.Start(new Dictionary<string, string> { ["DATABASE_URL"] = Api.Url(postgres) });
        await service.WaitForAsync("/health/ready");
        var seen = new HashSet<int>();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                var pids = await postgres.ScalarAsync<string>(
                    "SELECT coalesce(string_agg(pid::text, ','), '') FROM pg_stat_activity WHERE application_name = 'reference-service-health'", Ct);
                lock (seen)
                {
                    seen.UnionWith(pids.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse));
                }

                await Task.Delay(10, Ct);
            }
        }, Ct);

        for (var round = 0; round < 3; round++)
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => service.Http.GetAsync("/health/ready", Ct)));
            Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
            await Task.Delay(1100, Ct);
        }

        await sampling.CancelAsync();
        await sampler;
        Assert.InRange(seen.Count, 1, 2);
    }

    [Fact]
    public async Task Metrics_AreServedInPrometheusTextWithHoldfastNpgsqlAndPollyMeters()
    {
        await using var service = ServiceProcess.Start(new Dictionary<string, string> { ["DATABASE_URL"] = Api.Url(postgres) });
        await service.WaitForAsync("/health/ready");
        await service.Http.SignInAsync("nobody@example.com");

        var text = await service.Http.GetStringAsync("/metrics", Ct);

        Assert.Contains("db_client_connection_wait_time_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Contains("db_client_connection_create_time_seconds_bucket{", text, StringComparison.Ordinal);
        // Each connect-time threshold is a bucket boundary, so a rule on it reads it exactly.
        Assert.Contains("le=\"20\"", text, StringComparison.Ordinal);
        Assert.Contains("holdfast_circuit_state", text, StringComparison.Ordinal);
        Assert.Contains("holdfast_startup_phase_duration_seconds", text, StringComparison.Ordinal);
        Assert.Contains("db_client_connection_count", text, StringComparison.Ordinal);
        Assert.Contains("resilience_polly_", text, StringComparison.Ordinal);
        Assert.DoesNotContain(postgres.Password, text, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"Startup phase schema-setup succeeded in [\d.]+ ms \(budget [\d.]+ s\)")]
    private static partial Regex PhaseLogLine();

    [GeneratedRegex(@"after (?<spent>[\d.]+) s of its [\d.]+ s budget")]
    private static partial Regex FailureTiming();
}
