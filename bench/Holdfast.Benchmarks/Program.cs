using System.Text.Json;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Holdfast;
using Holdfast.Benchmarks;
using Holdfast.Testing;
using Holdfast.Timeouts;
using Spectre.Console;

// bench/run [--quick] [--only NAME-PREFIX] [--out FILE]: every benchmark side by side with its baseline, in one run,
// against one LocalPostgres.
var settings = BenchSettings.From(args);
var output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine("bench", "results.json");
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
bool Selected(string name) => only is null || name.StartsWith(only, StringComparison.Ordinal);
var results = new List<BenchResult>();

AnsiConsole.MarkupLine($"[bold]Holdfast benchmarks[/] ({(settings.Quick ? "quick" : "full")}, {Environment.ProcessorCount} cores, .NET {Environment.Version})");
if (Selected("pipeline-overhead"))
{
    AnsiConsole.MarkupLine("[grey]pipeline-overhead (BenchmarkDotNet, in process) ...[/]");
    results.AddRange(PipelineOverhead(settings));
}

if (Selected("pooled-open"))
{
    AnsiConsole.MarkupLine("[grey]pooled-open (BenchmarkDotNet, in process, against a LocalPostgres) ...[/]");
    results.AddRange(PooledOpen(settings));
}

if (Selected("dapper-overhead") || Selected("efcore-query-overhead"))
{
    AnsiConsole.MarkupLine("[grey]dapper-overhead, efcore-query-overhead (BenchmarkDotNet, in process, against a LocalPostgres) ...[/]");
    results.AddRange(Integrations(settings));
}

await using (var postgres = await LocalPostgres.CreateAsync(new LocalPostgresOptions { MaxConnections = 60 }))
{
    var url = $"postgres://{postgres.Username}:{Uri.EscapeDataString(postgres.Password)}@{postgres.Host}:{postgres.Port}/{postgres.Database}";
    var endpoint = Holdfast.DatabaseEndpoint.Parse(url);
    var rawBuilder = endpoint.CreateDataSourceBuilder();
    rawBuilder.ConnectionStringBuilder.MaxPoolSize = 20;
    rawBuilder.ConnectionStringBuilder.ApplicationName = "bench-raw";
    await using var raw = rawBuilder.Build();
    var guardedBuilder = new HoldfastDataSourceBuilder(endpoint).UseTimeouts(HoldfastTimeouts.For(HoldfastEnvironment.Development)).Configure(o => o.Name = "bench-holdfast");
    guardedBuilder.Npgsql.ConnectionStringBuilder.MaxPoolSize = 20;
    await using var guarded = guardedBuilder.Build();

    foreach (var concurrency in new[] { 1, 16 }.Where(c => Selected($"select1-throughput-c{c}")))
    {
        AnsiConsole.MarkupLine($"[grey]select1-throughput-c{concurrency} ...[/]");
        results.Add(await Throughput.MeasureAsync($"select1-throughput-c{concurrency}", concurrency, raw, guarded, settings));
    }

    foreach (var concurrency in new[] { 1, 16 }.Where(c => Selected($"select1-execute-c{c}")))
    {
        AnsiConsole.MarkupLine($"[grey]select1-execute-c{concurrency} ...[/]");
        results.Add(await Throughput.MeasureExecuteAsync($"select1-execute-c{concurrency}", concurrency, raw, guarded, settings));
    }

    // The dashboard mapped: its recorder hears every open and operation of this data source (a meter of its own).
    var dashboardBuilder = new HoldfastDataSourceBuilder(endpoint).UseTimeouts(HoldfastTimeouts.For(HoldfastEnvironment.Development)).Configure(o =>
    {
        o.Name = "bench-holdfast-dashboard";
        o.Instruments = new Holdfast.Telemetry.HoldfastInstruments(new DashboardMeterFactory());
    });
    dashboardBuilder.Npgsql.ConnectionStringBuilder.MaxPoolSize = 20;
    await using var dashboarded = dashboardBuilder.Build();
    using var recorder = new Holdfast.AspNetCore.Dashboard.ConnectivityRecorder(dashboarded, TimeProvider.System);
    recorder.Start();
    if (Selected("select1-execute-dashboard-c16"))
    {
        AnsiConsole.MarkupLine("[grey]select1-execute-dashboard-c16 ...[/]");
        results.Add(await Throughput.MeasureExecuteAsync("select1-execute-dashboard-c16", 16, raw, dashboarded, settings));
    }

    if (Selected("pooled-open-rate"))
    {
        // pooled-open again, as rates in the same interleaved slices as the throughput rows: raw and Holdfast alternate
        // every 250 ms, so the drift of a shared machine hits both alike (BenchmarkDotNet runs one method after another).
        AnsiConsole.MarkupLine("[grey]pooled-open-rate-c1, pooled-open-dashboard-rate-c1 ...[/]");
        results.Add(await Throughput.CompareAsync("pooled-open-rate-c1", 1, _ => RentRawAsync(raw), _ => RentGuardedAsync(guarded), settings));
        results.Add(await Throughput.CompareAsync("pooled-open-dashboard-rate-c1", 1, _ => RentRawAsync(raw), _ => RentGuardedAsync(dashboarded), settings));
    }

    if (Selected("dapper-c16"))
    {
        AnsiConsole.MarkupLine("[grey]dapper-c16 ...[/]");
        results.Add(await IntegrationThroughput.DapperAsync("dapper-c16", 16, raw, guarded, settings));
    }

    if (Selected("efcore-query-c16"))
    {
        AnsiConsole.MarkupLine("[grey]efcore-query-c16 ...[/]");
        results.Add(await IntegrationThroughput.EfCoreAsync("efcore-query-c16", 16, raw, guarded, settings));
    }

    if (Selected("auth-failure-detect"))
    {
        AnsiConsole.MarkupLine("[grey]auth-failure-detect ...[/]");
        results.Add(await FailureBenchmarks.AuthFailureAsync(postgres, settings));
    }

    if (Selected("open-breaker-reject"))
    {
        AnsiConsole.MarkupLine("[grey]open-breaker-reject (64 callers) ...[/]");
        results.AddRange(await FailureBenchmarks.OpenBreakerRejectAsync(postgres, settings));
    }
}

var table = new Table().AddColumns("benchmark", "baseline", "holdfast", "unit", "ratio (holdfast / baseline)");
foreach (var r in results)
{
    table.AddRow(r.Name, r.Baseline.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
        r.Holdfast.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture), r.Unit,
        r.Ratio?.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture) ?? "n/a");
}

AnsiConsole.Write(table);
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
await File.WriteAllTextAsync(output, JsonSerializer.Serialize(results, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
AnsiConsole.MarkupLine($"written to {Markup.Escape(output)}");

static IEnumerable<BenchResult> PipelineOverhead(BenchSettings settings)
{
    var summary = BenchmarkRunner.Run<PipelineOverheadBenchmarks>(BdnConfig(settings));
    var plain = Report(summary, nameof(PipelineOverheadBenchmarks.PlainPolly));
    var holdfast = Report(summary, nameof(PipelineOverheadBenchmarks.Holdfast));
    yield return BenchResult.Of("pipeline-overhead", plain.ResultStatistics!.Mean, holdfast.ResultStatistics!.Mean, "ns/call");
    yield return BenchResult.Of("pipeline-overhead-alloc", plain.GcStats.GetBytesAllocatedPerOperation(plain.BenchmarkCase) ?? 0,
        holdfast.GcStats.GetBytesAllocatedPerOperation(holdfast.BenchmarkCase) ?? 0, "bytes/call");
}

static IEnumerable<BenchResult> PooledOpen(BenchSettings settings)
{
    var summary = BenchmarkRunner.Run<PooledOpenBenchmarks>(BdnConfig(settings));
    var raw = Report(summary, nameof(PooledOpenBenchmarks.RawOpen));
    var open = Report(summary, nameof(PooledOpenBenchmarks.HoldfastOpen));
    var execute = Report(summary, nameof(PooledOpenBenchmarks.HoldfastExecute));
    yield return BenchResult.Of("pooled-open", raw.ResultStatistics!.Mean, open.ResultStatistics!.Mean, "ns/call");
    yield return BenchResult.Of("pooled-open-alloc", raw.GcStats.GetBytesAllocatedPerOperation(raw.BenchmarkCase) ?? 0,
        open.GcStats.GetBytesAllocatedPerOperation(open.BenchmarkCase) ?? 0, "bytes/call");
    yield return BenchResult.Of("execute-overhead", raw.ResultStatistics!.Mean, execute.ResultStatistics!.Mean, "ns/call");
    yield return BenchResult.Of("execute-overhead-alloc", raw.GcStats.GetBytesAllocatedPerOperation(raw.BenchmarkCase) ?? 0,
        execute.GcStats.GetBytesAllocatedPerOperation(execute.BenchmarkCase) ?? 0, "bytes/call");
    // With the dashboard mapped: its recorder hears every open and operation (a timestamp, a histogram record, a lock).
    var openDashboard = Report(summary, nameof(PooledOpenBenchmarks.HoldfastOpenWithDashboard));
    var executeDashboard = Report(summary, nameof(PooledOpenBenchmarks.HoldfastExecuteWithDashboard));
    yield return BenchResult.Of("pooled-open-dashboard", raw.ResultStatistics!.Mean, openDashboard.ResultStatistics!.Mean, "ns/call");
    yield return BenchResult.Of("execute-overhead-dashboard", raw.ResultStatistics!.Mean, executeDashboard.ResultStatistics!.Mean, "ns/call");
    yield return BenchResult.Of("execute-overhead-dashboard-alloc", raw.GcStats.GetBytesAllocatedPerOperation(raw.BenchmarkCase) ?? 0,
        executeDashboard.GcStats.GetBytesAllocatedPerOperation(executeDashboard.BenchmarkCase) ?? 0, "bytes/call");
}

static async Task RentRawAsync(Npgsql.NpgsqlDataSource source)
{
    await using var connection = await source.OpenConnectionAsync();
}

static async Task RentGuardedAsync(HoldfastDataSource source)
{
    await using var connection = await source.OpenConnectionAsync();
}

static IEnumerable<BenchResult> Integrations(BenchSettings settings)
{
    var summary = BenchmarkRunner.Run<IntegrationBenchmarks>(BdnConfig(settings));
    foreach (var (name, baseline, holdfast) in new[]
             {
                 ("dapper-overhead", nameof(IntegrationBenchmarks.DapperRaw), nameof(IntegrationBenchmarks.DapperHoldfast)),
                 ("efcore-query-overhead", nameof(IntegrationBenchmarks.EfCoreRawRetrying), nameof(IntegrationBenchmarks.EfCoreHoldfast)),
             })
    {
        var b = Report(summary, baseline);
        var h = Report(summary, holdfast);
        yield return BenchResult.Of(name, b.ResultStatistics!.Mean, h.ResultStatistics!.Mean, "ns/call");
        yield return BenchResult.Of($"{name}-alloc", b.GcStats.GetBytesAllocatedPerOperation(b.BenchmarkCase) ?? 0,
            h.GcStats.GetBytesAllocatedPerOperation(h.BenchmarkCase) ?? 0, "bytes/call");
    }
}

static IConfig BdnConfig(BenchSettings settings)
{
    var job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance);
    job = settings.Quick ? job.WithWarmupCount(3).WithIterationCount(8) : job.WithWarmupCount(6).WithIterationCount(20);
    return ManualConfig.CreateMinimumViable().AddJob(job).WithOptions(ConfigOptions.DisableLogFile)
        .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "holdfast-bench"));
}

static BenchmarkReport Report(Summary summary, string method) =>
    summary.Reports.Single(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method);
