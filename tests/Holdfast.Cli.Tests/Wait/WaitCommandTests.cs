using System.Diagnostics;
using System.Text.Json;
using Holdfast.Cli.Tests.Support;
using Holdfast.Testing;

namespace Holdfast.Cli.Tests.Wait;

public sealed class WaitCommandTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;

    [Fact]
    public async Task Wait_HealthyDatabase_ExitsZeroAtOnce()
    {
        var run = await CliProcess.RunAsync(["wait", "--max", "10s", "--json"], Url(postgres.DatabaseUrl));

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.True(json.RootElement.GetProperty("ready").GetBoolean());
        Assert.Equal(1, json.RootElement.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task Wait_WrongPassword_ExitsFourInUnderTwoSeconds()
    {
        var run = await CliProcess.RunAsync(["wait", "--max", "60s", "--json"],
            Url($"postgres://{postgres.Username}:Wr0ng-cr3t@{postgres.Host}:{postgres.Port}/{postgres.Database}"));

        Assert.True(run.ExitCode == 4, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal("authenticationFailed", json.RootElement.GetProperty("kind").GetString());
        Assert.True(json.RootElement.GetProperty("elapsedMs").GetDouble() < 2000, run.Stdout);
        Assert.Equal(1, json.RootElement.GetProperty("attempts").GetInt32());
        Assert.DoesNotContain("cr3t", run.All, StringComparison.Ordinal);
    }

    /// <summary>
    /// Refused: every attempt fails at once and is retried until the budget. Blackholed: connects are accepted and never
    /// answered, so the attempt is cut at the budget while Npgsql is still connecting — an exit 3, not an internal error.
    /// </summary>
    [Theory]
    [InlineData(FaultMode.Refuse, "Refused")]
    [InlineData(FaultMode.Blackhole, "Timeout")]
    public async Task Wait_UnreachablePath_ExitsThreeAfterItsBudget(FaultMode fault, string kind)
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        if (fault == FaultMode.Refuse)
        {
            proxy.Refuse();
        }
        else
        {
            proxy.Blackhole();
        }

        var run = await CliProcess.RunAsync(["wait", "--max", "2s"], Url(postgres.DatabaseUrlVia(proxy.Port)));

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains($"not ready: {kind}", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", run.All, StringComparison.Ordinal);
        Assert.DoesNotContain(postgres.Password, run.All, StringComparison.Ordinal);
        Assert.InRange(run.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Wait_DatabaseAppearsDuringTheWait_ExitsZero()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.Refuse();
        var watch = Stopwatch.StartNew();

        // The path heals once the first attempt has been refused (not after a fixed time: a loaded machine can take that
        // long to start the process).
        var run = await CliProcess.RunAsync(["wait", "--max", "30s", "--json"], Url(postgres.DatabaseUrlVia(proxy.Port)), TimeSpan.FromSeconds(60), null,
            new CliWatch("(attempt 1,", _ => proxy.Pass(), Stderr: true));

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.True(json.RootElement.GetProperty("attempts").GetInt32() > 1);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Wait_DatabaseAppearsJustBeforeTheBudgetEnds_IsFoundByALastAttempt()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.Refuse();

        // Attempts at about 0, 0.25, 0.75 and 1.75 s; the backoff would put the next at 3.75 s, too late to leave a last
        // attempt its half second of the 4 s budget, so it is moved to 3.5 s. Heal the path once the fourth attempt has
        // failed: only that last one can see it. (A 3 s budget left the fourth attempt 0.75 s of slack, which a loaded
        // machine's slow process start used up.)
        var run = await CliProcess.RunAsync(["wait", "--max", "4s", "--json"], Url(postgres.DatabaseUrlVia(proxy.Port)), TimeSpan.FromSeconds(30), null,
            new CliWatch("(attempt 4,", _ => proxy.Pass(), Stderr: true));

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal(5, json.RootElement.GetProperty("attempts").GetInt32());
        // The last attempt starts inside the budget and may finish a few milliseconds past it.
        Assert.InRange(json.RootElement.GetProperty("elapsedMs").GetDouble(), 3_000, 4_500);
    }

    private static Dictionary<string, string> Url(string url) => new() { ["DATABASE_URL"] = url };
}
