using System.Text.Json;
using Holdfast.Cli.Tests.Support;
using Holdfast.Testing;

namespace Holdfast.Cli.Tests.Doctor;

/// <summary><c>holdfast doctor</c> run as a process against a real cluster.</summary>
public sealed class DoctorCommandTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;

    private static readonly string[] StageOrder =
        ["parse", "resolve", "tcp", "tls", "authentication", "first-query", "server-facts", "connects"];

    [Fact]
    public async Task Doctor_HealthyDatabase_ExitsZeroWithEveryStageInJson()
    {
        var run = await CliProcess.RunAsync(["doctor", "--json", "--samples", "3"], Url(postgres.DatabaseUrl));

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        var stages = root.GetProperty("stages").EnumerateArray().ToList();
        Assert.Equal(StageOrder, stages.Select(s => s.GetProperty("name").GetString()));
        // The test server has no TLS, and with no environment set doctor judges as production: the password goes in clear.
        Assert.All(stages.Where(s => s.GetProperty("name").GetString() != "tls"), s => Assert.Equal("ok", s.GetProperty("status").GetString()));
        Assert.Equal("warning", stages[3].GetProperty("status").GetString());
        Assert.Contains("the password in clear", stages[3].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.All(stages, s => Assert.True(s.GetProperty("durationMs").GetDouble() >= 0));
        Assert.True(root.GetProperty("verdict").GetProperty("healthy").GetBoolean());
        Assert.Equal(0, root.GetProperty("verdict").GetProperty("exitCode").GetInt32());
        var connects = root.GetProperty("connects");
        Assert.Equal(3, connects.GetProperty("succeeded").GetInt32());
        Assert.Equal(3, connects.GetProperty("samplesMs").GetArrayLength());
        Assert.True(connects.GetProperty("p95Ms").GetDouble() >= connects.GetProperty("p50Ms").GetDouble());
        Assert.Equal(postgres.MaxConnections, root.GetProperty("server").GetProperty("maxConnections").GetInt32());
        Assert.Equal("DATABASE_URL", root.GetProperty("configuration").GetProperty("source").GetString());
        Assert.DoesNotContain(postgres.Password, run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_HealthyDatabase_PrintsTableAndVerdictForPeople()
    {
        var run = await CliProcess.RunAsync(["doctor", "--samples", "2"], Url(postgres.DatabaseUrl));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("HEALTHY", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"postgres://{postgres.Username}:***@{postgres.Host}:{postgres.Port}/{postgres.Database}", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("2 new connections: min", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"max_connections {postgres.MaxConnections}", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_WrongPassword_ExitsFourNamingTheKindWithoutThePassword()
    {
        const string Wrong = "Wr0ng-cr3t-Pw";
        var url = $"postgres://{postgres.Username}:{Wrong}@{postgres.Host}:{postgres.Port}/{postgres.Database}";

        var human = await CliProcess.RunAsync(["doctor"], Url(url));
        var json = await CliProcess.RunAsync(["doctor", "--json"], Url(url));

        Assert.True(human.ExitCode == 4, human.ToString());
        Assert.Equal(4, json.ExitCode);
        Assert.Contains("AuthenticationFailed", human.Stdout, StringComparison.Ordinal);
        Assert.Contains("check the user and password", human.Stdout, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json.Stdout);
        var verdict = document.RootElement.GetProperty("verdict");
        Assert.Equal("authenticationFailed", verdict.GetProperty("kind").GetString());
        Assert.Equal("authentication", verdict.GetProperty("stage").GetString());
        Assert.Equal("skipped", document.RootElement.GetProperty("stages")[5].GetProperty("status").GetString());
        foreach (var run in new[] { human, json })
        {
            Assert.DoesNotContain(Wrong, run.All, StringComparison.Ordinal);
            Assert.DoesNotContain(Uri.EscapeDataString(Wrong), run.All, StringComparison.Ordinal);
            Assert.DoesNotContain(postgres.Password, run.All, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Doctor_MissingDatabase_ExitsFour()
    {
        var url = postgres.DatabaseUrlVia(postgres.Port, "missing_db");

        var run = await CliProcess.RunAsync(["doctor"], Url(url));

        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.Contains("DatabaseMissing", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("CREATE DATABASE \"missing_db\"", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_UnixSocket_ChecksTheSocketAndSkipsTls()
    {
        var variables = new Dictionary<string, string>
        {
            ["POSTGRES_HOST"] = postgres.SocketDirectory,
            ["POSTGRES_PORT"] = postgres.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["POSTGRES_DB"] = postgres.Database,
            ["POSTGRES_USER"] = postgres.Username,
            ["POSTGRES_PASSWORD"] = postgres.Password,
        };

        var run = await CliProcess.RunAsync(["doctor", "--json", "--samples", "1"], variables);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        var stages = json.RootElement.GetProperty("stages");
        Assert.Equal("socket", stages[1].GetProperty("name").GetString());
        Assert.Equal("skipped", stages[3].GetProperty("status").GetString());
        Assert.Equal("not used over a Unix socket", stages[3].GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Doctor_BlackholedPath_TimesOutAtTheStageTimeoutAndExitsThree()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.Blackhole();

        var run = await CliProcess.RunAsync(["doctor", "--json", "--timeout", "1s"],
            Url($"postgres://{postgres.Username}@{proxy.Host}:{proxy.Port}/{postgres.Database}"));

        Assert.True(run.ExitCode == 3, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        var verdict = json.RootElement.GetProperty("verdict");
        Assert.Equal("timeout", verdict.GetProperty("kind").GetString());
        Assert.Equal("tls", verdict.GetProperty("stage").GetString());
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(20), run.ToString());
    }

    [Fact]
    public async Task Doctor_NothingListening_ExitsThreeAtTcp()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.Refuse();

        var run = await CliProcess.RunAsync(["doctor", "--connection", $"postgres://app@{proxy.Host}:{proxy.Port}/db"]);

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains("FAILED at tcp: Refused", run.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgres://app:S3%ZZcr3t@db/orders", "the password has a '%' that is not followed by two hex digits")]
    [InlineData("mysql://app:cr3t@db/orders", "the scheme 'mysql' is not PostgreSQL")]
    public async Task Doctor_MalformedConnection_ExitsTwoWithTheFixAndNoStackTrace(string connection, string problem)
    {
        var run = await CliProcess.RunAsync("doctor", "--connection", connection);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(problem, run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Fix:", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("cr3t", run.All, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_NothingConfigured_ExitsTwoSayingWhatToSet()
    {
        var run = await CliProcess.RunAsync("doctor");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("set DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DATABASE", run.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("doctor", "--samples", "lots")]
    [InlineData("doctor", "--timeout", "soon")]
    [InlineData("doctor", "--environment", "qa")]
    [InlineData("doctor", "--bogus")]
    [InlineData("frobnicate")]
    public async Task BadUsage_ExitsTwoWithOneClearErrorAndNoStackTrace(params string[] arguments)
    {
        var run = await CliProcess.RunAsync(arguments);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.StartsWith("holdfast: ", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("--help' for usage", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Url(string url) => new() { ["DATABASE_URL"] = url };
}
