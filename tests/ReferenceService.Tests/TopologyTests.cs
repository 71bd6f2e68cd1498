using System.Net;
using System.Text.Json;
using Holdfast.Chaos;
using Holdfast.Testing;
using Npgsql;
using ReferenceService.Tests.Support;

namespace ReferenceService.Tests;

/// <summary>
/// The reference service, unchanged, in front of the topologies services outgrow a single database with: a primary and
/// its streaming standby that fail over, and PgBouncer in transaction mode. Real programs, the service as a process.
/// </summary>
public sealed class TopologyTests(PostgresFixture fixture)
{
    private const string Password = LoadChecks.Password;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(2);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Failover_UnderLoad_503WithRetryAfterNever500_ServingWithinASecondOfThePromotion_AndHealthShowsEachHost()
    {
        await using var primary = await LocalPostgres.CreateAsync(new LocalPostgresOptions { AllowStandbys = true }, Ct);
        await using var standby = await primary.CreateStandbyAsync(Ct);
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["DATABASE_URL"] = $"postgres://{primary.Username}:{Uri.EscapeDataString(primary.Password)}@{primary.Host}:{primary.Port},{standby.Host}:{standby.Port}" +
                               $"/{primary.Database}?target_session_attrs=primary",
            ["HOLDFAST_ENVIRONMENT"] = "development",
        });
        var email = await LoadChecks.ReadyWithAccountAsync(service);
        using (var health = await service.Http.HealthAsync())
        {
            Assert.Equal(["Primary", "Standby"], Hosts(health).Select(h => h.Role));
        }

        await standby.WaitForCatchUpAsync(cancellationToken: Ct);
        await using var load = ServiceLoad.Start(service.Http.BaseAddress!, email, Password, concurrency: 16, limit: TimeSpan.FromSeconds(60));
        await Task.Delay(Warmup, Ct);

        var killedAt = load.Now;
        await primary.StopAsync(ShutdownMode.Immediate, Ct);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        await standby.PromoteAsync(Ct);
        var promotedAt = load.Now;
        var recovered = await load.FirstSuccessAfterAsync(promotedAt, TimeSpan.FromSeconds(10));
        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        await load.StopAsync();

        var timeline = $"killed at 0, promoted {(promotedAt - killedAt).TotalSeconds:0.000} s, first 200 of a request begun after it " +
                       $"{(recovered - killedAt)?.TotalSeconds:0.000} s; requests: {Summary(load, killedAt)}";
        TestContext.Current.TestOutputHelper?.WriteLine(timeline);
        LoadChecks.AssertOnlyOkOr503WithRetryAfter(load);
        // Measured alone: 0.5 s after the promotion. Sign-ins hash passwords on two cores shared with the other test
        // classes, so the bound is generous; what it separates is Holdfast's re-check from Npgsql's own 10 s.
        Assert.True(recovered - promotedAt < TimeSpan.FromSeconds(3), timeline);
        using (var health = await service.Http.HealthAsync())
        {
            var hosts = Hosts(health);
            Assert.Equal(("Unreachable", "Refused"), (hosts[0].Role, hosts[0].FailureKind));
            Assert.Equal("Primary", hosts[1].Role);
            Assert.Equal("Closed", health.RootElement.GetProperty("circuit").GetProperty("state").GetString());
            Assert.DoesNotContain(primary.Password, health.RootElement.GetRawText(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task BehindPgBouncerTransactionPooling_TheServiceWorksUnchanged_AdaptsToIt_AndSurvivesItsRestartAndPause()
    {
        await using var bouncer = await LocalPgBouncer.CreateAsync(fixture.Postgres, new LocalPgBouncerOptions { DefaultPoolSize = 4 }, Ct);
        var connection = new NpgsqlConnectionStringBuilder(bouncer.ConnectionString) { MaxAutoPrepare = 20 };
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["ConnectionStrings__Database"] = connection.ConnectionString,
            ["HOLDFAST_ENVIRONMENT"] = "development",
        });
        await service.WaitForAsync("/health/ready");
        await service.Http.AssertAccountFlowWorksAsync();
        using (var health = await service.Http.HealthAsync())
        {
            var phases = health.RootElement.GetProperty("startup").GetProperty("phases").EnumerateArray().ToList();
            Assert.Equal(["configuration", "database", "schema-setup", "migrations (NotesDb)", "health"], phases.Select(p => p.GetProperty("name").GetString()));
            Assert.All(phases, p => Assert.Equal("Succeeded", p.GetProperty("status").GetString()));
            var pooler = health.RootElement.GetProperty("pooler");
            Assert.True(pooler.GetProperty("present").GetBoolean());
            Assert.Equal("PgBouncer", pooler.GetProperty("name").GetString());
            Assert.Equal("Transaction", pooler.GetProperty("mode").GetString());
            Assert.DoesNotContain(fixture.Postgres.Password, health.RootElement.GetRawText(), StringComparison.Ordinal);
        }

        Assert.Contains("connects through PgBouncer, transaction pooling: turned off automatic preparation and reset on close", service.Stdout, StringComparison.Ordinal);

        var email = $"bouncer-{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.Created, (await service.Http.SignUpAsync(email, Password)).StatusCode);
        await using var load = ServiceLoad.Start(service.Http.BaseAddress!, email, Password, concurrency: 16, limit: TimeSpan.FromSeconds(60));
        await Task.Delay(Warmup, Ct);
        var restartAt = load.Now;
        await bouncer.RestartAsync(TimeSpan.FromSeconds(1), Ct);
        var restartedAt = load.Now;
        var afterRestart = await load.FirstSuccessAfterAsync(restartedAt, TimeSpan.FromSeconds(10));
        await bouncer.PauseAsync(Ct);
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        await bouncer.ResumeAsync(Ct);
        var resumedAt = load.Now;
        var afterResume = await load.FirstSuccessAfterAsync(resumedAt, TimeSpan.FromSeconds(10));
        await load.StopAsync();

        var timeline = $"PgBouncer restarted {(restartedAt - restartAt).TotalSeconds:0.000} s, served {(afterRestart - restartedAt)?.TotalSeconds:0.000} s later; " +
                       $"paused 1 s, served {(afterResume - resumedAt)?.TotalSeconds:0.000} s after the resume; requests: {Summary(load, restartAt)}";
        TestContext.Current.TestOutputHelper?.WriteLine(timeline);
        Assert.All(load.Requests, r => Assert.True(r.Status is 200 or 503, $"{r.Name} answered {r.Status} after {r.Duration.TotalSeconds:0.000} s; {timeline}"));
        // Usually 0.4-0.7 s; one CI run took 2.1 s. When the circuit closes all sixteen callers sign in at once and hash
        // passwords on two cores shared with the other test classes (as in the failover test). PgBouncer's own default
        // would hold clients 15 s.
        Assert.True(afterRestart - restartedAt < TimeSpan.FromSeconds(3), timeline);
        // Requests held during the pause all go on at the resume, and sign-ins hash passwords on two cores: the first new
        // request queues behind them (in-process, without HTTP and hashing, the bound is 1 s).
        Assert.True(afterResume - resumedAt < TimeSpan.FromSeconds(2), timeline);
    }

    private static List<(string Host, string Role, string? FailureKind)> Hosts(JsonDocument health) =>
        [.. health.RootElement.GetProperty("hosts").EnumerateArray().Select(h => (
            h.GetProperty("host").GetString()!, h.GetProperty("role").GetString()!,
            h.GetProperty("failureKind").ValueKind == JsonValueKind.String ? h.GetProperty("failureKind").GetString() : null))];

    private static string Summary(ServiceLoad load, TimeSpan origin) => string.Join(", ", load.Requests.Where(r => r.End >= origin)
        .GroupBy(r => r.Status).OrderBy(g => g.Key)
        .Select(g => $"{g.Key} x{g.Count()} first {(g.Min(r => r.End) - origin).TotalSeconds:0.000} s"));
}
