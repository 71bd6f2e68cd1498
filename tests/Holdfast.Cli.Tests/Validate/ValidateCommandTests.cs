using System.Text.Json;
using Holdfast.Cli.Tests.Support;

namespace Holdfast.Cli.Tests.Validate;

public sealed class ValidateCommandTests
{
    [Theory]
    [InlineData("development")]
    [InlineData("staging")]
    [InlineData("production")]
    public async Task Validate_Defaults_PassWithExitZero(string environment)
    {
        using var directory = new TempDirectory();

        var run = await CliProcess.RunAsync(["validate", "--environment", environment], workingDirectory: directory.Path);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("VALID", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{environment} profile", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_StagingOverrideBelowTheFloor_FailsNamingTheSettingAndTheFile()
    {
        using var directory = new TempDirectory();
        directory.Write("appsettings.Staging.json", """{ "Holdfast": { "Timeouts": { "Connection": "20s", "Initialization": 60 } } }""");

        var run = await CliProcess.RunAsync(["validate", "--environment", "staging", "--json"], workingDirectory: directory.Path);

        Assert.True(run.ExitCode == 2, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
        var lines = json.RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("line").GetString()).ToList();
        Assert.Equal(2, lines.Count);
        Assert.StartsWith("Holdfast:Timeouts:Initialization: is 60 s, below the staging floor of 75 s", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("Holdfast:Timeouts:Connection: is 20 s, below the staging floor of 35 s", lines[1], StringComparison.Ordinal);
        var connection = json.RootElement.GetProperty("settings").EnumerateArray().Single(s => s.GetProperty("key").GetString() == "Holdfast:Timeouts:Connection");
        Assert.EndsWith("appsettings.Staging.json", connection.GetProperty("source").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_EnvironmentVariablesWinOverFiles_AsInTheService()
    {
        using var directory = new TempDirectory();
        var file = directory.Write("ci.json", """{ "Holdfast": { "Timeouts": { "Connection": "10s" } } }""");

        var run = await CliProcess.RunAsync(["validate", "--environment", "staging", "--config", file, "--json"],
            new Dictionary<string, string> { ["Holdfast__Timeouts__Connection"] = "40" }, workingDirectory: directory.Path);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        var connection = json.RootElement.GetProperty("settings").EnumerateArray().Single(s => s.GetProperty("key").GetString() == "Holdfast:Timeouts:Connection");
        Assert.Equal("40 s", connection.GetProperty("value").GetString());
        Assert.Equal("env Holdfast__Timeouts__Connection", connection.GetProperty("source").GetString());
    }

    [Theory]
    [InlineData(null, "appsettings.Production.json", "50 s")]
    [InlineData("Staging", "appsettings.Staging.json", "20 s")]
    public async Task Validate_ReadsTheFileOfTheHostEnvironment_AsASPNETCoreWould(string? aspNetCoreEnvironment, string file, string connection)
    {
        using var directory = new TempDirectory();
        directory.Write("appsettings.Staging.json", """{ "Holdfast": { "Timeouts": { "Connection": 20 } } }""");
        directory.Write("appsettings.Production.json", """{ "Holdfast": { "Timeouts": { "Connection": 50 } } }""");
        var variables = new Dictionary<string, string> { ["HOLDFAST_ENVIRONMENT"] = "staging" };
        if (aspNetCoreEnvironment is not null)
        {
            variables["ASPNETCORE_ENVIRONMENT"] = aspNetCoreEnvironment;
        }

        // HOLDFAST_ENVIRONMENT picks the profile and floors; the host's environment (Production unless named) picks the file.
        var run = await CliProcess.RunAsync(["validate", "--json"], variables, workingDirectory: directory.Path);

        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal("staging", json.RootElement.GetProperty("environment").GetString());
        Assert.Equal(file, Path.GetFileName(Assert.Single(json.RootElement.GetProperty("files").EnumerateArray()).GetString()));
        var setting = json.RootElement.GetProperty("settings").EnumerateArray().Single(s => s.GetProperty("key").GetString() == "Holdfast:Timeouts:Connection");
        Assert.Equal(connection, setting.GetProperty("value").GetString());
        Assert.Equal(connection == "20 s" ? 2 : 0, run.ExitCode);
    }

    [Fact]
    public async Task Validate_AttemptTimeoutLongerThanItsBudget_AndAPoolThatDoesNotFit_AreProblems()
    {
        using var directory = new TempDirectory();
        directory.Write("appsettings.json", """
            { "Holdfast": { "Timeouts": { "Connection": 40 }, "Pool": { "MaxSize": 50 },
                            "Capacity": { "MaxConnections": 100, "Instances": 4, "OtherClients": 10 } } }
            """);

        var run = await CliProcess.RunAsync(["validate", "--environment", "development"], workingDirectory: directory.Path);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("Holdfast:Timeouts:Connection: is 40 s, longer than the initialization budget of 30 s", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Holdfast:Pool:MaxSize: is 50: at the fleet's maximum, 4 instances at once (rollout included) x (50 + 1 overflow) = 204 connections, over the budget of 69", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("set Holdfast:Pool:MaxSize to at most 16", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("INVALID 2 problems", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_MalformedInput_IsOneClearLineWithoutStackTraceOrPassword()
    {
        using var directory = new TempDirectory();
        directory.Write("broken.json", "{ not json");

        var missing = await CliProcess.RunAsync(["validate", "--config", "nope.json"], workingDirectory: directory.Path);
        var broken = await CliProcess.RunAsync(["validate", "--config", "broken.json"], workingDirectory: directory.Path);
        var url = await CliProcess.RunAsync(["validate"], new Dictionary<string, string> { ["DATABASE_URL"] = "postgres://app:S3%ZZcr3t@db/app" },
            workingDirectory: directory.Path);

        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--config: the file 'nope.json' does not exist", missing.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, broken.ExitCode);
        Assert.Contains("is not valid JSON", broken.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, url.ExitCode);
        Assert.Contains("DATABASE_URL: the password has a '%'", url.Stdout, StringComparison.Ordinal);
        foreach (var run in new[] { missing, broken, url })
        {
            Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
            Assert.DoesNotContain("cr3t", run.All, StringComparison.Ordinal);
        }
    }
}
