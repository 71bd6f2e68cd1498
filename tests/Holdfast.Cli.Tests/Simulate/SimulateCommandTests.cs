using System.Text.Json;
using Holdfast.Cli.Tests.Support;

namespace Holdfast.Cli.Tests.Simulate;

public sealed class SimulateCommandTests
{
    public static TheoryData<string, string, string, string> Rules => new()
    {
        // arguments, environment variables, outcome, rule
        { "--environment staging --failures refused", "", "degraded", "staging with 1 infrastructure failure (Refused), at most 3" },
        { "--environment staging --failures timeout,too-many-connections,server_starting", "", "degraded", "staging with 3 infrastructure failures" },
        { "--environment staging --failures timeout,timeout,refused,refused", "", "failed", "staging with 4 infrastructure failures: more than 3" },
        { "--environment staging --failures reset", "", "failed", "staging bypasses only infrastructure kinds (timeout, refused, too many connections, server starting, failover), not Reset" },
        { "--environment staging --failures authentication_failed", "", "failed", "AuthenticationFailed is permanent: never bypassed" },
        { "--environment production --failures refused", "", "failed", "production has no bypass: set BYPASS_STARTUP_VALIDATION=true to start degraded" },
        { "--environment development --failures timeout", "", "failed", "development has no bypass" },
        { "--environment production --failures reset,unknown --bypass", "", "degraded", "BYPASS_STARTUP_VALIDATION=true: start degraded whatever the environment" },
        { "--environment production --failures refused", "BYPASS_STARTUP_VALIDATION=true", "degraded", "BYPASS_STARTUP_VALIDATION=true" },
        { "--environment staging --failures database_missing --bypass", "", "failed", "DatabaseMissing is permanent" },
        { "--environment staging", "", "ready", "no failures" },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public async Task Simulate_DecisionTable(string arguments, string variables, string outcome, string rule)
    {
        var environment = variables.Length == 0 ? null : variables.Split(' ').ToDictionary(v => v.Split('=')[0], v => v.Split('=')[1]);

        var run = await CliProcess.RunAsync(["simulate", .. arguments.Split(' '), "--json"], environment);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal(outcome, json.RootElement.GetProperty("outcome").GetString());
        Assert.Contains(rule, json.RootElement.GetProperty("rule").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_Pressure_StretchesTheTimeoutsAndExplainsWhy()
    {
        var run = await CliProcess.RunAsync("simulate", "--environment", "staging", "--pressure", "network-scaling,capacity", "--measured-p95", "21s", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        var timeouts = json.RootElement.GetProperty("timeouts").EnumerateArray().ToDictionary(t => t.GetProperty("kind").GetString()!);
        // Connection 35 x 1.5 x (21 / 17.5) = 63 s; initialization 75 x 1.2 x 1.2 = 108 s; the rest untouched.
        Assert.Equal(63, timeouts["connection"].GetProperty("finalSeconds").GetDouble(), 3);
        Assert.Equal(108, timeouts["initialization"].GetProperty("finalSeconds").GetDouble(), 3);
        Assert.Equal(45, timeouts["pool"].GetProperty("finalSeconds").GetDouble(), 3);
        Assert.Contains("network path scaling x1.5", timeouts["connection"].GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_ConfiguredPressure_AppliesAsInTheService_AndPressureOptionsAddToIt()
    {
        var run = await CliProcess.RunAsync(["simulate", "--environment", "staging", "--pressure", "capacity", "--json"],
            new Dictionary<string, string> { ["Holdfast__Pressure__NetworkPathScaling"] = "true" });

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        var timeouts = json.RootElement.GetProperty("timeouts").EnumerateArray().ToDictionary(t => t.GetProperty("kind").GetString()!);
        Assert.Equal(52.5, timeouts["connection"].GetProperty("finalSeconds").GetDouble(), 3);
        Assert.Equal(90, timeouts["initialization"].GetProperty("finalSeconds").GetDouble(), 3);
    }

    [Fact]
    public async Task Simulate_HumanOutput_ShowsTheDecisionAndTheExitCodeTheServiceWouldHave()
    {
        var run = await CliProcess.RunAsync("simulate", "--environment", "staging", "--failures", "authentication-failed");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("FAILED AuthenticationFailed is permanent", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("(the service would exit 4)", run.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--failures", "sometimes", "'sometimes' is not a failure kind")]
    [InlineData("--pressure", "solar", "'solar' is not a pressure indicator")]
    [InlineData("--measured-p95", "fast", "'fast' is not a positive duration")]
    public async Task Simulate_BadInput_ExitsTwo(string option, string value, string message)
    {
        var run = await CliProcess.RunAsync("simulate", option, value);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
    }
}
