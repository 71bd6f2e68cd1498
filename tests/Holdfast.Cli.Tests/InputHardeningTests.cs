using Holdfast.Cli.Tests.Support;

namespace Holdfast.Cli.Tests;

/// <summary>
/// Inputs that once crashed the command (exit 1, a stack trace), ran a whole job before failing, or echoed a secret: each
/// now gets one line naming the setting, the problem and the fix, with exit 2 (or the diagnosis' own code).
/// </summary>
public sealed class InputHardeningTests
{
    private const string Secret = "S3cr3t-pw";

    public static TheoryData<string, string[], string, int, string> Cases => new()
    {
        // name, arguments, DATABASE_URL or "" , exit code, what the one line says
        { "doctor timeout beyond a week", ["doctor", "--timeout", "1e9"], "postgres://app@127.0.0.1:1/x", 2, "--timeout '1e9' is longer than 7 days" },
        { "doctor timeout in hours", ["doctor", "--timeout", "99999h"], "postgres://app@127.0.0.1:1/x", 2, "--timeout '99999h' is longer than 7 days" },
        { "monitor unwritable chart", ["monitor", "--chart", "/proc/holdfast/x.svg", "--duration", "10m"], "postgres://app@127.0.0.1:1/x", 2, "--chart: '/proc/holdfast/x.svg' cannot be written" },
        { "plan overflow", ["plan", "--max-connections", "262143", "--instances", "2147483647"], "", 2, "= 4294967294 connections" },
        { "plan beyond max_connections", ["plan", "--max-connections", "2147483647", "--instances", "1"], "", 2, "max connections must be from 1 to 262143" },
        { "plan tiny margin", ["plan", "--max-connections", "100", "--instances", "1", "--margin", "1e-19"], "", 2, "the safety margin must be from 0.01 to 1" },
        { "unknown driver", ["validate"], $"postgresql+foo://app:{Secret}@db/orders", 2, "the driver 'foo' of the scheme is not a SQLAlchemy PostgreSQL driver" },
        { "connection string keyword without value", ["doctor"], "", 2, "the keyword 'Foo' is not one Npgsql knows" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Input_GetsOneLineAndItsExitCode_NeverAStackTraceOrASecret(string name, string[] arguments, string url, int exit, string line)
    {
        var environment = new Dictionary<string, string>();
        if (url.Length > 0)
        {
            environment["DATABASE_URL"] = url;
        }

        if (name == "connection string keyword without value")
        {
            environment["ConnectionStrings__Database"] = $"Host=db;Username=app;Password={Secret};Foo=";
        }

        var run = await CliProcess.RunAsync(arguments, environment, timeout: TimeSpan.FromSeconds(30));

        Assert.True(run.ExitCode == exit, $"{name}: {run}");
        Assert.Contains(line, run.All, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, run.All, StringComparison.Ordinal);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(15), $"{name} took {run.Elapsed.TotalSeconds:0.0} s: checked before any work");
    }

    public static TheoryData<string, string, string> ValidateCases => new()
    {
        // variable=value, DATABASE_URL, what validate must say
        { "Holdfast__Timeouts__Conection=10", "postgres://app@db/orders", "Holdfast:Timeouts:Conection: is not a setting Holdfast reads: it does nothing. Fix: did you mean Holdfast:Timeouts:Connection?" },
        { "Holdfast__Timeouts__HealthCheck=1ms", "postgres://app@db/orders", "Holdfast:Timeouts:HealthCheck: is 1 ms, shorter than anything can answer in" },
        { "Holdfast__Pool__MaxSize=1e9", "postgres://app@db/orders", "Holdfast:Pool:MaxSize: is 1000000000; no server takes that many connections from one pool" },
        { "Holdfast__Pooler__Mode=bouncy", "postgres://app@db/orders", "Holdfast:Pooler:Mode: 'bouncy' is not a pooler mode" },
        { "HOLDFAST_ENVIRONMENT=staging", $"postgres://app:{Secret}@db/orders?target_session_attrs=bogus", "target_session_attrs='bogus' is not a value it takes" },
        { "HOLDFAST_ENVIRONMENT=staging", $"postgres://app:{Secret}@db/orders?gssencmode=bogus", "gssencmode='bogus' is not a value it takes" },
        { "HOLDFAST_ENVIRONMENT=staging", $"postgres://app:{Secret}@db/orders?connect_timeout=-1", "connect_timeout='-1' is not a whole number of seconds (0 or more)" },
    };

    [Theory]
    [MemberData(nameof(ValidateCases))]
    public async Task Validate_RefusesWhatCannotWork(string variable, string url, string expected)
    {
        var environment = new Dictionary<string, string> { ["DATABASE_URL"] = url };
        environment[variable[..variable.IndexOf('=')]] = variable[(variable.IndexOf('=') + 1)..];
        if (!environment.ContainsKey("HOLDFAST_ENVIRONMENT"))
        {
            environment["HOLDFAST_ENVIRONMENT"] = "staging";
        }

        var run = await CliProcess.RunAsync(["validate"], environment);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(expected, run.All, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, run.All, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgresHostHoldingAWholeUrl_IsRefusedWithoutEchoingIt()
    {
        var environment = new Dictionary<string, string> { ["POSTGRES_HOST"] = $"postgres://app:{Secret}@db:5432/orders" };

        var validate = await CliProcess.RunAsync(["validate"], environment);
        var doctor = await CliProcess.RunAsync(["doctor", "--json"], environment);

        Assert.Equal(2, validate.ExitCode);
        Assert.Equal(2, doctor.ExitCode);
        Assert.Contains("POSTGRES_HOST: holds a URL or user information, not a host", validate.All, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, validate.All + doctor.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("prefer")]
    [InlineData("disable")]
    public async Task Doctor_AnHttpServerOnThePort_SaysItIsNotPostgres_ExitFour(string sslMode)
    {
        await using var http = new HttpOnlyServer();

        var run = await CliProcess.RunAsync(["doctor"], new Dictionary<string, string> { ["DATABASE_URL"] = $"postgres://app:{Secret}@127.0.0.1:{http.Port}/orders?sslmode={sslMode}" });

        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.Contains("FAILED at tls: NotPostgres", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("this is not a PostgreSQL server", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, run.All, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> TimeoutCases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var command in new[] { "doctor", "validate", "simulate", "wait --max 2s", "monitor --duration 1s" })
            {
                foreach (var value in new[] { "-3", "5000", "0", "soon" })
                {
                    data.Add(command, value);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(TimeoutCases))]
    public async Task TimeoutOutOfRange_IsAConfigurationError_ExitTwo_AndJsonOnStdout(string command, string value)
    {
        var run = await CliProcess.RunAsync([.. command.Split(' '), "--json"], new Dictionary<string, string>
        {
            ["DATABASE_URL"] = $"postgres://app:{Secret}@127.0.0.1:1/x",
            ["HOLDFAST_ENVIRONMENT"] = "test",
            ["Holdfast__Timeouts__Connection"] = value,
        });

        Assert.True(run.ExitCode == 2, run.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(run.Stdout);
        Assert.Contains("Holdfast:Timeouts:Connection", json.RootElement.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", run.All, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, run.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("doctor --samples many")]
    [InlineData("validate --no-such-option")]
    [InlineData("plan --instances 2")]
    [InlineData("simulate --failures gremlins")]
    [InlineData("wait --max forever")]
    public async Task BadUsage_WithJson_PrintsAJsonError(string command)
    {
        var run = await CliProcess.RunAsync([.. command.Split(' '), "--json"]);

        Assert.True(run.ExitCode == 2, run.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(run.Stdout);
        Assert.Equal(2, json.RootElement.GetProperty("error").GetProperty("exitCode").GetInt32());
    }
}
