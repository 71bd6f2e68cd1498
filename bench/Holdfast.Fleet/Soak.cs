using System.Globalization;
using System.Text;
using Holdfast.Chaos;
using Holdfast.Testing;
using Spectre.Console;

namespace Holdfast.Fleet;

/// <summary>
/// bench/soak: one replica under load for a long while with a fault every minute (restart, stop-start, blackhole, reset
/// storm in turn); every 10 s it samples the managed heap after the last GC, RSS, threads, handles, server connections
/// and the p99 latency of the last 10 s. Writes a CSV, an SVG chart and the trend of each over the last 15 minutes.
/// </summary>
internal static class Soak
{
    private static readonly string[] Faults = ["restart", "stop-start", "blackhole", "reset-storm"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var minutes = 20.0;
        var output = Path.Combine("bench", "soak");
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            switch (args[i])
            {
                case "--minutes" when double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var m) && m is >= 1 and <= 120:
                    minutes = m;
                    break;
                case "--out":
                    output = args[i + 1];
                    break;
                default:
                    await Console.Error.WriteLineAsync("bench/soak [--minutes 1-120 (default 20)] [--out PREFIX (default bench/soak: .csv, .svg, .json)]").ConfigureAwait(false);
                    return 2;
            }
        }

        var duration = TimeSpan.FromMinutes(minutes);
        AnsiConsole.MarkupLine($"[bold]holdfast soak[/]: one replica, 8 callers, {minutes:0.#} min, a fault every 60 s, a sample every 10 s");
        await using var postgres = await LocalPostgres.CreateAsync(new LocalPostgresOptions { MaxConnections = 100 }).ConfigureAwait(false);
        await using var replica = Replica.Start("soak", postgres.Port, port => new Dictionary<string, string>
        {
            ["DATABASE_URL"] = postgres.DatabaseUrlVia(port),
            ["HOLDFAST_ENVIRONMENT"] = "staging",
        });
        await replica.Service.WaitReadyAsync(TimeSpan.FromSeconds(120)).ConfigureAwait(false);
        var email = $"soak-{Guid.NewGuid():N}@example.com";
        using var http = new HttpClient { BaseAddress = replica.Service.Address, Timeout = TimeSpan.FromSeconds(10) };
        using (var content = new StringContent($$"""{"email":"{{email}}","password":"soak correct horse","displayName":"Soak"}""", Encoding.UTF8, "application/json"))
        {
            (await http.PostAsync("/accounts", content).ConfigureAwait(false)).EnsureSuccessStatusCode();
        }

        await using var load = ServiceLoad.Start(replica.Service.Address, email, "soak correct horse", 8, duration + TimeSpan.FromMinutes(2));
        var samples = new List<Sample>();
        var faults = new List<(double Minute, string Name)>();
        var faulting = Task.CompletedTask;
        var next = 0;
        var start = load.Now;
        while (load.Now - start < duration)
        {
            await Task.Delay(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            var at = load.Now - start;
            if (faulting.IsCompleted && at.TotalSeconds >= 60 * (next + 1) && at < duration - TimeSpan.FromSeconds(30))
            {
                var name = Faults[next++ % Faults.Length];
                faults.Add((at.TotalMinutes, name));
                faulting = RunFaultAsync(name, postgres, replica.Proxy);
            }

            samples.Add(await SampleAsync(at, http, replica, postgres, load).ConfigureAwait(false));
            var s = samples[^1];
            AnsiConsole.MarkupLine($"[grey]{s.Minutes,5:0.0} min  heap {s.HeapMiB,6:0.0} MiB  rss {s.RssMiB,6:0.0} MiB  threads {s.Threads,3}  fds {s.Handles,3}  conns {s.ServerConnections,2}  p99 {s.P99Ms,7:0.0} ms[/]");
        }

        await faulting.ConfigureAwait(false);
        await load.StopAsync().ConfigureAwait(false);
        var tail = samples.Where(s => s.Minutes >= minutes - 15).ToList();
        var slopes = new Dictionary<string, double>
        {
            ["heap_mib_per_min"] = Slope(tail, s => s.HeapMiB),
            ["rss_mib_per_min"] = Slope(tail, s => s.RssMiB),
            ["threads_per_min"] = Slope(tail, s => s.Threads),
            ["handles_per_min"] = Slope(tail, s => s.Handles),
            ["server_connections_per_min"] = Slope(tail, s => s.ServerConnections),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        await File.WriteAllLinesAsync(output + ".csv", [Sample.Header, .. samples.Select(s => s.ToCsv())]).ConfigureAwait(false);
        await File.WriteAllTextAsync(output + ".svg", SoakChart.Render(samples, faults)).ConfigureAwait(false);
        await File.WriteAllTextAsync(output + ".json", System.Text.Json.JsonSerializer.Serialize(new
        {
            minutes,
            cores = Environment.ProcessorCount,
            requests = load.Requests.Count,
            other_5xx = load.Requests.Count(r => r.Status >= 500 && r.Status != 503),
            unanswered = load.Requests.Count(r => r.Status == 0),
            first = samples.FirstOrDefault(),
            last = samples.LastOrDefault(),
            slopes_last_15_min = slopes,
            faults = faults.Select(f => new { minute = Math.Round(f.Minute, 2), f.Name }),
        }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true })).ConfigureAwait(false);
        foreach (var (name, slope) in slopes)
        {
            AnsiConsole.MarkupLine($"{name,-28} {slope,8:0.000}");
        }

        AnsiConsole.MarkupLine($"written to {Markup.Escape(output)}.csv, .svg and .json");
        return 0;
    }

    private static async Task RunFaultAsync(string name, LocalPostgres postgres, FaultProxy proxy)
    {
        var hold = TimeSpan.FromSeconds(5);
        switch (name)
        {
            case "restart":
                await postgres.RestartAsync().ConfigureAwait(false);
                break;
            case "stop-start":
                await postgres.StopAsync(ShutdownMode.Fast).ConfigureAwait(false);
                await Task.Delay(hold).ConfigureAwait(false);
                await postgres.StartAsync().ConfigureAwait(false);
                break;
            case "blackhole":
                proxy.Blackhole();
                await Task.Delay(hold).ConfigureAwait(false);
                proxy.Pass();
                break;
            default:
                var until = DateTime.UtcNow + hold;
                while (DateTime.UtcNow < until)
                {
                    proxy.ResetOpenConnections();
                    await Task.Delay(250).ConfigureAwait(false);
                }

                break;
        }
    }

    private static async Task<Sample> SampleAsync(TimeSpan at, HttpClient http, Replica replica, LocalPostgres postgres, ServiceLoad load)
    {
        var heap = double.NaN;
        try
        {
            var metrics = await http.GetStringAsync("/metrics").ConfigureAwait(false);
            heap = metrics.Split('\n').Where(l => l.StartsWith("dotnet_gc_last_collection_heap_size_bytes{", StringComparison.Ordinal))
                .Sum(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture)) / 1024 / 1024;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or FormatException)
        {
            // Not this time.
        }

        int? connections = null;
        try
        {
            connections = await postgres.ScalarAsync<int>("SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException)
        {
            // The server is away (a fault).
        }

        var pid = replica.Service.ProcessId;
        var threads = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Threads:", StringComparison.Ordinal)).Split(':')[1].Trim();
        var handles = Directory.GetFiles($"/proc/{pid}/fd").Length;
        var recent = load.Requests.Where(r => r.End >= load.Now - TimeSpan.FromSeconds(10)).Select(r => r.Duration.TotalMilliseconds).Order().ToList();
        var p99 = recent.Count == 0 ? 0 : recent[Math.Min(recent.Count - 1, (int)Math.Ceiling(0.99 * recent.Count) - 1)];
        return new Sample(at.TotalMinutes, heap, replica.Service.RssMiB, int.Parse(threads, CultureInfo.InvariantCulture), handles, connections ?? -1, p99, recent.Count);
    }

    /// <summary>Least-squares slope per minute; samples without a value (NaN, -1) left out.</summary>
    private static double Slope(IReadOnlyList<Sample> samples, Func<Sample, double> value)
    {
        var points = samples.Select(s => (X: s.Minutes, Y: value(s))).Where(p => !double.IsNaN(p.Y) && p.Y >= 0).ToList();
        if (points.Count < 2)
        {
            return double.NaN;
        }

        var mx = points.Average(p => p.X);
        var my = points.Average(p => p.Y);
        var den = points.Sum(p => (p.X - mx) * (p.X - mx));
        return den == 0 ? 0 : Math.Round(points.Sum(p => (p.X - mx) * (p.Y - my)) / den, 4);
    }
}

/// <summary>One soak sample.</summary>
internal sealed record Sample(double Minutes, double HeapMiB, double RssMiB, int Threads, int Handles, int ServerConnections, double P99Ms, int Requests)
{
    public const string Header = "minutes,heap_after_gc_mib,rss_mib,threads,handles,server_connections,p99_ms,requests_10s";

    public string ToCsv() => string.Join(',', new object[] { Math.Round(Minutes, 3), Math.Round(HeapMiB, 2), Math.Round(RssMiB, 2), Threads, Handles, ServerConnections, Math.Round(P99Ms, 1), Requests }
        .Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)));
}
