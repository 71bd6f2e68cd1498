using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Holdfast.Chaos;
using Holdfast.Testing;
using Spectre.Console;

// bench/chaos: the reference service (its own process) against a LocalPostgres behind a FaultProxy, under bounded
// load from loopback, through each fault in turn. Prints a table per fault and writes the results as JSON.
var (settings, error) = ChaosSettings.Parse(args);
if (settings is null)
{
    Console.Error.WriteLine(error);
    return args.Contains("--help") || args.Contains("-h") ? 0 : 2;
}

AnsiConsole.MarkupLine($"[bold]holdfast chaos[/]: {settings.Concurrency} callers, faults of {settings.Duration.TotalSeconds:0.#} s, environment {settings.Environment}, {Environment.ProcessorCount} cores");
await using var postgres = await LocalPostgres.CreateAsync(new LocalPostgresOptions { MaxConnections = 200 });
await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
var logFile = Path.Combine(Path.GetTempPath(), $"holdfast-chaos-service-{Environment.ProcessId}.log");
await using var service = ServiceUnderTest.Start(new Dictionary<string, string>
{
    ["DATABASE_URL"] = postgres.DatabaseUrlVia(proxy.Port),
    ["HOLDFAST_ENVIRONMENT"] = settings.Environment,
}, logFile);
await service.WaitReadyAsync(TimeSpan.FromSeconds(120));

var email = $"chaos-{Guid.NewGuid():N}@example.com";
const string Password = "chaos correct horse";
using (var http = new HttpClient { BaseAddress = service.Address })
{
    using var created = await http.PostAsJsonAsync("/accounts", new { email, password = Password, displayName = "Chaos" });
    created.EnsureSuccessStatusCode();
}

var run = new ChaosRun(postgres, proxy, service, settings);
var results = new List<FaultResult>();
foreach (var fault in settings.Faults.Select(name => Fault.All.Single(f => f.Name == name)))
{
    AnsiConsole.MarkupLine($"[grey]{fault.Name}: {Markup.Escape(fault.Description)} ...[/]");
    var result = await run.RunAsync(fault, email, Password);
    results.Add(result);
    Print(result);
}

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(settings.Output))!);
await File.WriteAllTextAsync(settings.Output, JsonSerializer.Serialize(new
{
    settings.Concurrency,
    DurationSeconds = settings.Duration.TotalSeconds,
    settings.Environment,
    Cores = Environment.ProcessorCount,
    Faults = results,
}, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
AnsiConsole.MarkupLine($"written to {Markup.Escape(settings.Output)}; the service's log is {Markup.Escape(logFile)}");
var failed = results.Where(r => r.Other5xx > 0 || r.NoAnswer > 0 || r.RecoverySeconds is null).Select(r => r.Fault).ToList();
if (failed.Count > 0)
{
    AnsiConsole.MarkupLine($"[red]not held[/]: {string.Join(", ", failed)} (5xx other than 503, requests with no answer, or no recovery)");
    return 3;
}

return 0;

static void Print(FaultResult r)
{
    static string S(double? seconds) => seconds is { } s ? s.ToString("0.000", CultureInfo.InvariantCulture) + " s" : "never";
    var table = new Table().HideHeaders().AddColumns("", "");
    table.AddRow("fault", $"{r.Fault} for {S(r.FaultSeconds)}");
    table.AddRow("requests by status", $"{r.Requests}: " + string.Join(", ", r.ByStatus.Select(kv => $"{kv.Key} x{kv.Value}")));
    table.AddRow("first 503 after the fault", S(r.First503Seconds));
    table.AddRow("latency during the fault", $"p50 {r.P50Ms:0.#} ms, p99 {r.P99Ms:0.#} ms, max {r.MaxMs:0.#} ms");
    table.AddRow("recovery (first 200 after the heal)", S(r.RecoverySeconds));
    table.AddRow("5xx other than 503 / no answer", $"{r.Other5xx} / {r.NoAnswer}; 503 without Retry-After: {r.Missing503RetryAfter}");
    table.AddRow("server connections before / peak / after", $"{r.ConnectionsBefore} / {r.ConnectionsPeak} / {r.ConnectionsAfter} (settled in {S(r.ConnectionsSettledSeconds)})");
    table.AddRow("service RSS before / after", $"{r.RssBeforeMiB:0.#} MiB / {r.RssAfterMiB:0.#} MiB");
    AnsiConsole.Write(table);
}
