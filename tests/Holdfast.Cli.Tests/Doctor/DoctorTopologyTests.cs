using System.Text.Json;
using Holdfast.Cli.Tests.Support;
using Holdfast.Testing;

namespace Holdfast.Cli.Tests.Doctor;

/// <summary><c>holdfast doctor</c> on the topologies: a primary with a streaming standby, and PgBouncer in front.</summary>
public sealed class DoctorTopologyTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MultiHostEndpoint_WalksEveryHost_PrimaryStandbyAndReplicationLag_ThenAfterThePrimaryDies_StillNamesEachHost()
    {
        await using var primary = await LocalPostgres.CreateAsync(new LocalPostgresOptions { AllowStandbys = true }, Ct);
        await using var standby = await primary.CreateStandbyAsync(Ct);
        var url = $"postgres://{primary.Username}:{Uri.EscapeDataString(primary.Password)}@{primary.Host}:{primary.Port},{standby.Host}:{standby.Port}" +
                  $"/{primary.Database}?target_session_attrs=primary";

        var healthy = await CliProcess.RunAsync(["doctor", "--json", "--samples", "1"], Url(url));

        Assert.True(healthy.ExitCode == 0, healthy.ToString());
        using (var json = JsonDocument.Parse(healthy.Stdout))
        {
            var stages = json.RootElement.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
            Assert.Equal(["parse", "resolve", "tcp", "tls", "authentication", "first-query", "server-facts", "hosts", "connects"], stages);
            var hosts = json.RootElement.GetProperty("hosts").EnumerateArray().ToList();
            Assert.Equal(["Primary", "Standby"], hosts.Select(h => h.GetProperty("role").GetString()));
            Assert.Equal(JsonValueKind.Null, hosts[0].GetProperty("replayLagBytes").ValueKind);
            Assert.True(hosts[1].GetProperty("replayLagBytes").GetInt64() >= 0);
            Assert.False(json.RootElement.GetProperty("pooler").GetProperty("present").GetBoolean());
        }

        await primary.StopAsync(ShutdownMode.Immediate, Ct);
        var failed = await CliProcess.RunAsync(["doctor"], Url(url));
        TestContext.Current.TestOutputHelper?.WriteLine(failed.Stdout);

        Assert.True(failed.ExitCode == 3, failed.ToString());
        Assert.Contains("Failover", failed.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{primary.Host}:{primary.Port} unreachable: Refused", failed.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{standby.Host}:{standby.Port} standby", failed.Stdout, StringComparison.Ordinal);
        Assert.Contains("no host is a primary", failed.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(primary.Password, failed.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BehindPgBouncer_ServerFactsNameThePoolerAndItsMode()
    {
        await using var bouncer = await LocalPgBouncer.CreateAsync(fixture.Postgres, cancellationToken: Ct);

        var human = await CliProcess.RunAsync(["doctor", "--samples", "1"], Url(bouncer.DatabaseUrl));
        TestContext.Current.TestOutputHelper?.WriteLine(human.Stdout);
        var json = await CliProcess.RunAsync(["doctor", "--json", "--samples", "1"], Url(bouncer.DatabaseUrl));

        Assert.True(human.ExitCode == 0, human.ToString());
        Assert.Contains("behind PgBouncer, transaction pooling", human.Stdout, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(json.Stdout);
        var pooler = report.RootElement.GetProperty("pooler");
        Assert.True(pooler.GetProperty("present").GetBoolean());
        Assert.Equal("PgBouncer", pooler.GetProperty("name").GetString());
        Assert.Equal("Transaction", pooler.GetProperty("mode").GetString());
        Assert.DoesNotContain(fixture.Postgres.Password, human.All + json.All, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Url(string url) => new() { ["DATABASE_URL"] = url };
}
