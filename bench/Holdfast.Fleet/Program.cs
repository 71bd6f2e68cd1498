using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Holdfast.Fleet;
using Spectre.Console;

// bench/fleet: N replicas of the reference service (their own processes) against one small LocalPostgres, directly or
// through PgBouncer, each sized by holdfast plan; bounded load on every replica; the faults in turn. One table, and the
// results (one object per fault and mode) in bench/fleet-results.json.
if (Console.IsOutputRedirected)
{
    // A log file or a pipe: the table at its full width, not folded to 80 columns.
    AnsiConsole.Profile.Width = 240;
}

if (args.Length > 0 && args[0] == "soak")
{
    return await Soak.RunAsync(args[1..]);
}

var (settings, error) = FleetSettings.Parse(args);
if (settings is null)
{
    Console.Error.WriteLine(error);
    return args.Contains("--help") || args.Contains("-h") ? 0 : 2;
}

AnsiConsole.MarkupLine($"[bold]holdfast fleet[/]: {settings.Replicas} replicas ({settings.Mode}), max_connections {settings.MaxConnections}, " +
                       $"{settings.CallersPerReplica} callers each, {Environment.ProcessorCount} cores{(settings.Quick ? ", quick" : "")}");
await using var rig = await FleetRig.CreateAsync(settings);
AnsiConsole.MarkupLine($"[grey]holdfast {Markup.Escape(string.Join(' ', FleetRig.PlanArguments(settings)))}[/]");
AnsiConsole.MarkupLine($"[grey]  {Markup.Escape(rig.Plan)}[/]");
var first = rig.StartReplicas(settings.Replicas);
_ = await rig.WaitReadyAsync(first, TimeSpan.FromSeconds(120)) ?? throw new TimeoutException("the replicas were not ready within 120 s");
await rig.CreateAccountAsync();
AnsiConsole.MarkupLine(await rig.StartPrometheusAsync()
    ? $"[grey]Prometheus on 127.0.0.1:{rig.Prometheus!.Server.Port} scrapes every replica with deploy/prometheus's rules[/]"
    : "[grey]Prometheus is not installed (scripts/setup installs it): no alerts column[/]");

var run = new FleetRun(rig);
var results = new List<FleetResult>();
foreach (var fault in settings.Faults)
{
    AnsiConsole.MarkupLine($"[grey]{fault} ...[/]");
    results.Add(await run.RunAsync(fault));
}

Print(results);
var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };
var kept = File.Exists(settings.Output) && JsonNode.Parse(await File.ReadAllTextAsync(settings.Output)) is JsonArray previous
    ? previous.Where(e => e?["mode"]?.GetValue<string>() != settings.Mode).Select(e => e!.DeepClone()).ToList()
    : [];
var merged = new JsonArray([.. kept, .. results.Select(r => JsonSerializer.SerializeToNode(r, options))]);
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(settings.Output))!);
await File.WriteAllTextAsync(settings.Output, merged.ToJsonString(options));
AnsiConsole.MarkupLine($"written to {Markup.Escape(settings.Output)}; the replicas' logs are {Markup.Escape(Path.Combine(Path.GetTempPath(), $"holdfast-fleet-{Environment.ProcessId}-*.log"))}");

var broken = results.Where(r => r.Other5xx > 0 || r.Unanswered > 0 || r.TooManyClients > 0 || r.AllReadyS is null ||
                                r.PeakServerConnections > r.MaxConnections ||
                                (r.Fault is "restart" or "stop" && (r.AllReadyS > 3 || r.MaxAttemptsPer100ms > 1))).Select(r => r.Fault).ToList();
if (broken.Count > 0)
{
    AnsiConsole.MarkupLine($"[red]not held[/]: {string.Join(", ", broken)}");
    return 3;
}

return 0;

static void Print(IReadOnlyList<FleetResult> results)
{
    static string S(double? seconds) => seconds is { } s ? s.ToString("0.000", CultureInfo.InvariantCulture) : "—";
    var table = new Table().Border(TableBorder.Rounded)
        .AddColumns("fault", "mode", "replicas", "pool", "requests by status", "other 5xx", "no answer", "too many clients", "first 503 s",
            "all ready s", "peak server conns / max", "attempts/100ms replica (fleet)", "discovery", "alerts (first seen, s)", "pools / limit");
    foreach (var r in results)
    {
        table.AddRow(r.Fault, r.Mode, r.Replicas.ToString(CultureInfo.InvariantCulture), r.PoolSize.ToString(CultureInfo.InvariantCulture),
            string.Join(" ", r.ByStatus.Select(kv => $"{kv.Key}x{kv.Value}")), r.Other5xx.ToString(CultureInfo.InvariantCulture),
            r.Unanswered.ToString(CultureInfo.InvariantCulture), r.TooManyClients.ToString(CultureInfo.InvariantCulture), S(r.First503S), S(r.AllReadyS),
            $"{r.PeakServerConnections} / {r.MaxConnections}", $"{r.MaxAttemptsPer100ms} ({r.FleetMaxAttemptsPer100ms})", r.DiscoveryAttempts.ToString(CultureInfo.InvariantCulture),
            Markup.Escape(r.Alerts is null ? "—" : string.Join("; ", r.Alerts.Select(a => $"{a.Key.Replace("Holdfast", "", StringComparison.Ordinal)} {a.Value}"))),
            r.CapacityShare is { } share ? share.ToString("0.00", CultureInfo.InvariantCulture) : "—");
    }

    AnsiConsole.Write(table);
}
