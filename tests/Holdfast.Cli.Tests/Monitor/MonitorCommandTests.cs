using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using Holdfast.Cli.Tests.Support;
using Holdfast.Testing;

namespace Holdfast.Cli.Tests.Monitor;

public sealed class MonitorCommandTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;

    [Fact]
    public async Task Monitor_ThroughALatencyProxy_WritesCsvJsonAndSvgWithTheSameSamples()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.AddLatency(TimeSpan.FromMilliseconds(10));
        using var directory = new TempDirectory();
        var url = postgres.DatabaseUrlVia(proxy.Port);

        var run = await CliProcess.RunAsync(["monitor", "--duration", "4s", "--interval", "1s", "--csv", "s.csv", "--json", "s.json", "--chart", "s.svg"],
            new Dictionary<string, string> { ["DATABASE_URL"] = url, ["HOLDFAST_ENVIRONMENT"] = "development" }, workingDirectory: directory.Path);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("trend report", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("breaker Closed", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(postgres.Password, run.All, StringComparison.Ordinal);

        var csv = File.ReadAllLines(Path.Combine(directory.Path, "s.csv"));
        Assert.Equal("at,connect_ms,query_ms,outcome,failure_kind,attempts,breaker", csv[0]);
        var fromCsv = csv.Skip(1).Select(line => line.Split(',')).Select(f => (At: f[0], ConnectMs: double.Parse(f[1], CultureInfo.InvariantCulture), Outcome: f[3])).ToList();

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory.Path, "s.json")));
        var fromJson = json.RootElement.GetProperty("samples").EnumerateArray()
            .Select(s => (At: s.GetProperty("at").GetDateTimeOffset().ToString("O"), ConnectMs: s.GetProperty("connectMs").GetDouble(), Outcome: s.GetProperty("outcome").GetString())).ToList();

        var svg = XDocument.Load(Path.Combine(directory.Path, "s.svg"));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var fromSvg = svg.Descendants(ns + "circle").Where(c => (string?)c.Attribute("class") == "sample")
            .Select(c => (At: (string)c.Attribute("data-at")!, ConnectMs: double.Parse((string)c.Attribute("data-connect-ms")!, CultureInfo.InvariantCulture), Outcome: (string)c.Attribute("data-outcome")!)).ToList();

        Assert.InRange(fromCsv.Count, 2, 5);
        Assert.Equal(fromCsv.Select(s => s.At), fromJson.Select(s => s.At));
        Assert.Equal(fromCsv.Select(s => s.At), fromSvg.Select(s => s.At));
        Assert.Equal(fromCsv.Select(s => s.ConnectMs), fromJson.Select(s => s.ConnectMs));
        Assert.Equal(fromCsv.Select(s => s.ConnectMs), fromSvg.Select(s => s.ConnectMs));
        Assert.All(fromCsv, s => Assert.Equal("ok", s.Outcome));
        // Every protocol message crosses the proxy with 10 ms added: a connect takes several round trips.
        Assert.All(fromCsv, s => Assert.True(s.ConnectMs >= 20, s.ConnectMs.ToString(CultureInfo.InvariantCulture)));
        Assert.Equal(fromCsv.Count, json.RootElement.GetProperty("summary").GetProperty("whole").GetProperty("count").GetInt32());
        Assert.Equal(10, json.RootElement.GetProperty("rule").GetProperty("warningSeconds").GetDouble());
        Assert.Contains("connect time (ms)", svg.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monitor_DatabaseRefusing_ReportsFailuresByKindOpensTheBreakerAndExitsThree()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.Refuse();
        var url = postgres.DatabaseUrlVia(proxy.Port);

        var run = await CliProcess.RunAsync(["monitor", "--duration", "4s", "--interval", "500ms", "--json"], new Dictionary<string, string> { ["DATABASE_URL"] = url });

        Assert.True(run.ExitCode == 3, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        var samples = json.RootElement.GetProperty("samples").EnumerateArray().ToList();
        Assert.All(samples, s => Assert.NotEqual("ok", s.GetProperty("outcome").GetString()));
        Assert.Contains(samples, s => s.GetProperty("outcome").GetString() == "rejected");
        Assert.True(json.RootElement.GetProperty("failuresByKind").GetProperty("refused").GetInt32() >= 1);
        Assert.Equal("Open", json.RootElement.GetProperty("finalBreaker").GetString());
    }

    [Fact]
    public async Task Monitor_CtrlC_EndsAtOnceWithTheReportAndTheFiles()
    {
        using var directory = new TempDirectory();
        var url = postgres.DatabaseUrl;

        // Ten minutes asked for; SIGINT once the first sample is printed.
        var run = await CliProcess.RunAsync(["monitor", "--duration", "10m", "--interval", "500ms", "--json", "s.json", "--chart", "s.svg"],
            new Dictionary<string, string> { ["DATABASE_URL"] = url }, TimeSpan.FromSeconds(60), directory.Path, new CliWatch(" ok connect ", CliProcess.Interrupt));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(30), run.ToString());
        Assert.Contains("stopped", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("trend report", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", run.All, StringComparison.Ordinal);
        Assert.DoesNotContain(postgres.Password, run.All + File.ReadAllText(Path.Combine(directory.Path, "s.json")), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory.Path, "s.json")));
        Assert.True(json.RootElement.GetProperty("cancelled").GetBoolean());
        var samples = json.RootElement.GetProperty("samples").EnumerateArray().ToList();
        Assert.NotEmpty(samples);
        Assert.All(samples, s => Assert.Equal("ok", s.GetProperty("outcome").GetString()));
        Assert.True(File.Exists(Path.Combine(directory.Path, "s.svg")));
    }
}
