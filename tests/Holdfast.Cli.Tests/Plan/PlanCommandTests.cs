using System.Text.Json;
using Holdfast.Cli.Tests.Support;
using Holdfast.Testing;
using Npgsql;

namespace Holdfast.Cli.Tests.Plan;

public sealed class PlanCommandTests
{
    public static TheoryData<string, bool, int, int> Cases => new()
    {
        // arguments, fits, pool size, budget
        { "--max-connections 100 --instances 1", true, 76, 77 },
        { "--max-connections 100 --instances 4", true, 18, 77 },
        { "--max-connections 100 --instances 4 --other-clients 10", true, 16, 69 },
        { "--max-connections 100 --instances 4 --rollout-overlap 2", true, 11, 77 },
        { "--max-connections 500 --instances 6 --rollout-overlap 2", true, 48, 397 },
        { "--max-connections 500 --instances 2", true, 100, 397 },
        { "--max-connections 200 --instances 10 --margin 0.5 --reserved 5", true, 8, 97 },
        { "--max-connections 100 --instances 4 --overflow 0", true, 19, 77 },
        { "--max-connections 25 --instances 4", true, 3, 17 },
        { "--max-connections 25 --instances 4 --health-pool 2 --admin-pool 1", true, 1, 17 },
        { "--max-connections 25 --instances 4 --overflow 3", true, 1, 17 },
        { "--max-connections 100 --instances 20 --other-clients 10 --rollout-overlap 2", true, 2, 69 },
        { "--max-connections 100 --instances 40 --other-clients 10 --rollout-overlap 2", false, 0, 69 },
        { "--max-connections 20 --instances 10", false, 0, 13 },
        { "--max-connections 10 --instances 1 --other-clients 8", false, 0, 0 },
        { "--max-connections 3 --instances 1", false, 0, 0 },
        // Fleets as users describe them: autoscaling's maximum, and a rollout surge as Kubernetes' maxSurge (rounded up).
        { "--max-connections 100 --min-instances 2 --max-instances 6 --max-surge 25%", true, 8, 77 },
        { "--max-connections 100 --max-instances 4 --max-surge 2", true, 11, 77 },
        { "--max-connections 500 --max-instances 10 --max-surge 100%", true, 18, 397 },
        { "--max-connections 100 --max-instances 10 --max-surge 100%", true, 2, 77 },
        { "--max-connections 100 --max-instances 20 --max-surge 100%", false, 0, 77 },
        // The fleet bench: 6 to 12 replicas and one more during a rollout, against 40 connections and the bench's admin client.
        { "--max-connections 40 --other-clients 2 --min-instances 6 --max-instances 12 --max-surge 1", true, 1, 28 },
        // The fleet test in ./test: 3 to 6 replicas and a surge of one, against 30 connections.
        { "--max-connections 30 --other-clients 2 --min-instances 3 --max-instances 6 --max-surge 1", true, 1, 20 },
        // Behind a pooler: the pools are the pooler's clients; the pooler's server connections must fit the budget.
        { "--max-connections 100 --instances 40 --pooler-pool-size 20 --pooler-max-client-conn 1000", true, 19, 77 },
        { "--max-connections 100 --instances 40 --pooler-pool-size 20 --pooler-max-client-conn 500 --poolers 2", true, 19, 77 },
        { "--max-connections 100 --instances 4 --pooler-pool-size 30 --pooler-max-db-connections 20 --poolers 3", true, 59, 77 },
        { "--max-connections 50 --instances 4 --pooler-pool-size 60", false, 0, 37 },
        { "--max-connections 100 --instances 100 --pooler-max-client-conn 100", false, 0, 77 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Plan_Arithmetic(string arguments, bool fits, int pool, int budget)
    {
        var run = await CliProcess.RunAsync(["plan", .. arguments.Split(' '), "--json"]);

        Assert.True(run.ExitCode == (fits ? 0 : 2), run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal(fits, json.RootElement.GetProperty("fits").GetBoolean());
        Assert.Equal(pool, json.RootElement.GetProperty("poolSize").GetInt32());
        Assert.Equal(budget, json.RootElement.GetProperty("budget").GetInt32());
        if (fits && !arguments.Contains("--pooler", StringComparison.Ordinal))
        {
            Assert.True(json.RootElement.GetProperty("total").GetInt32() <= budget);
        }
        else if (fits)
        {
            // Behind a pooler the total is of client connections; the server side is the pooler's, within the budget.
            Assert.Contains("server connections", json.RootElement.GetProperty("verdict").GetString(), StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("no plan fits", json.RootElement.GetProperty("verdict").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Plan_Impossible_SaysWhatToChange()
    {
        var run = await CliProcess.RunAsync("plan", "--max-connections", "100", "--instances", "40", "--other-clients", "10", "--rollout-overlap", "2");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("per instance = floor(69 / 42) = 1", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Raise max_connections to at least 118, run at most 32 instances", run.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plan --instances 3", "give --max-connections and --instances")]
    [InlineData("plan --max-connections 100 --instances 0", "instances must be at least 1")]
    [InlineData("plan --max-connections 100 --instances 2 --margin 1.5", "the safety margin must be from 0.01 to 1")]
    [InlineData("plan --max-connections lots --instances 2", "lots")]
    [InlineData("plan --max-connections 100 --max-instances 6 --max-surge lots", "--max-surge 'lots' is not a count or a percentage")]
    [InlineData("plan --max-connections 100 --max-instances 6 --max-surge 25% --rollout-overlap 1", "give one")]
    [InlineData("plan --max-connections 100 --instances 4 --max-instances 6", "--instances and --max-instances differ")]
    [InlineData("plan --max-connections 100 --min-instances 8 --max-instances 6", "--min-instances 8 is above the maximum of 6 instances")]
    [InlineData("plan --max-connections 100 --instances 4 --overflow 2 --health-pool 1", "give it, or --health-pool and --admin-pool, not both")]
    public async Task Plan_BadInput_ExitsTwoWithAClearError(string arguments, string message)
    {
        var run = await CliProcess.RunAsync(arguments.Split(' '));

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_FromServer_ReadsTheSettingsAndCountsOtherApplications()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var postgres = await LocalPostgres.CreateAsync(new LocalPostgresOptions { MaxConnections = 40 }, ct);
        var held = new List<NpgsqlConnection>();
        foreach (var (application, count) in new[] { ("billing-jobs", 3), ("orders-api", 2), ("orders-api-health", 1) })
        {
            for (var i = 0; i < count; i++)
            {
                var connection = new NpgsqlConnection(postgres.CreateConnectionStringBuilder(application).ConnectionString + ";Pooling=false");
                await connection.OpenAsync(ct);
                held.Add(connection);
            }
        }

        try
        {
            var run = await CliProcess.RunAsync(["plan", "--from-server", "--instances", "2", "--application-name", "orders-api", "--json"],
                new Dictionary<string, string> { ["DATABASE_URL"] = postgres.DatabaseUrl });

            Assert.True(run.ExitCode == 0, run.ToString());
            using var json = JsonDocument.Parse(run.Stdout);
            var inputs = json.RootElement.GetProperty("inputs");
            Assert.Equal(40, inputs.GetProperty("maxConnections").GetInt32());
            Assert.Equal(3, inputs.GetProperty("reserved").GetInt32());
            Assert.Equal(3, inputs.GetProperty("otherClients").GetInt32());
            // usable 40 - 3 - 3 = 34, budget floor(34 x 0.8) = 27, per instance 13, pool 12 (beside the health pool's one).
            Assert.Equal(12, json.RootElement.GetProperty("poolSize").GetInt32());
            var applications = json.RootElement.GetProperty("server").GetProperty("applications").EnumerateArray()
                .ToDictionary(a => a.GetProperty("applicationName").GetString()!, a => a.GetProperty("connections").GetInt32());
            Assert.Equal(3, applications["billing-jobs"]);
            Assert.Equal(2, applications["orders-api"]);
            Assert.False(applications.ContainsKey("holdfast-plan"), "the plan's own connection is left out");
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Plan_FromServer_WrongPassword_ExitsFourWithoutThePassword()
    {
        await using var postgres = await LocalPostgres.CreateAsync(cancellationToken: TestContext.Current.CancellationToken);

        var run = await CliProcess.RunAsync(["plan", "--from-server"],
            new Dictionary<string, string> { ["DATABASE_URL"] = $"postgres://{postgres.Username}:Wr0ng-cr3t@{postgres.Host}:{postgres.Port}/{postgres.Database}" });

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("AuthenticationFailed", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("cr3t", run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_Fleet_SaysTheSurgeAndTheHeadroomLeft()
    {
        var run = await CliProcess.RunAsync(["plan", "--max-connections", "100", "--min-instances", "2", "--max-instances", "6", "--max-surge", "25%", "--json"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal(8, json.RootElement.GetProperty("instancesAtOnce").GetInt32());
        Assert.Equal(5, json.RootElement.GetProperty("headroom").GetInt32());
        Assert.Equal(2, json.RootElement.GetProperty("fleet").GetProperty("rolloutOverlap").GetInt32());

        var text = await CliProcess.RunAsync(["plan", "--max-connections", "100", "--min-instances", "2", "--max-instances", "6", "--max-surge", "25%"]);
        Assert.Contains("fleet: 2 to 6 instances, max surge 25% = 2 more during a rollout", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("headroom = 77 - 72 = 5 connections left at 8 instances at once", text.Stdout, StringComparison.Ordinal);
    }
}
