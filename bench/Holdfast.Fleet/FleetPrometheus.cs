using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Holdfast.Testing;

namespace Holdfast.Fleet;

/// <summary>
/// Debian's Prometheus scraping every replica of the fleet with the repository's deploy/prometheus configuration and
/// rules (intervals at one second; the targets a file the rig rewrites as replicas come and go), and what its alerts did
/// during each fault. Absent (null) when Prometheus is not installed: the fleet run does not depend on it.
/// </summary>
internal sealed class FleetPrometheus(LocalPrometheus prometheus) : IAsyncDisposable
{
    private const string TargetsFile = "targets.json";

    public LocalPrometheus Server { get; } = prometheus;

    public static async Task<FleetPrometheus?> StartAsync(IEnumerable<Replica> replicas)
    {
        if (LocalPrometheus.FindExecutable() is null)
        {
            return null;
        }

        var deploy = Path.Combine(RepositoryRoot(), "deploy", "prometheus");
        var config = (await File.ReadAllTextAsync(Path.Combine(deploy, "prometheus.yml")).ConfigureAwait(false))
            .Replace("scrape_interval: 15s", "scrape_interval: 1s", StringComparison.Ordinal)
            .Replace("evaluation_interval: 15s", "evaluation_interval: 1s", StringComparison.Ordinal)
            .Replace("static_configs:\n      - targets: ['127.0.0.1:8080']", $"file_sd_configs:\n      - files: ['{TargetsFile}']", StringComparison.Ordinal);
        if (!config.Contains(TargetsFile, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("deploy/prometheus/prometheus.yml no longer has the static target the fleet replaces with its replicas");
        }

        var fleet = new FleetPrometheus(await LocalPrometheus.StartAsync(new LocalPrometheusOptions
        {
            Configuration = config,
            RuleFiles = [Path.Combine(deploy, "holdfast-rules.yml")],
        }).ConfigureAwait(false));
        fleet.SetTargets(replicas);
        return fleet;
    }

    /// <summary>Points the scrape at these replicas (Prometheus watches the file).</summary>
    public void SetTargets(IEnumerable<Replica> replicas)
    {
        var targets = replicas.Select(r => $"{r.Service.Address.Host}:{r.Service.Address.Port}").ToArray();
        var path = Path.Combine(Server.RootDirectory, TargetsFile);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(new[] { new { targets } }));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Starts noting, every half second, when each alert was first seen pending and firing.</summary>
    public AlertWatch Watch(Func<TimeSpan> now) => new(Server, now);

    /// <summary>The fleet's pools' maximums against the server's connection limit, per job (the fleet-capacity alert's expression, unthresholded).</summary>
    public async Task<double?> CapacityShareAsync()
    {
        var (samples, _) = await Server.QueryAsync(
            "max(sum by (job) (db_client_connection_max{db_client_connection_pool_name!~\".+-admin\"}) / on (job) max by (job) (holdfast_server_connection_limit))").ConfigureAwait(false);
        return samples.Count > 0 ? Math.Round(samples[0].Value, 3) : null;
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Holdfast.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("the repository (Holdfast.slnx) is not above the fleet's binaries");
    }

    /// <summary>When each alert was first seen in each state, from the watch's start.</summary>
    internal sealed class AlertWatch : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<(string Name, string State), TimeSpan> firstSeen = new();
        private readonly CancellationTokenSource stop = new();
        private readonly Task polling;
        private readonly TimeSpan origin;

        public AlertWatch(LocalPrometheus server, Func<TimeSpan> now)
        {
            origin = now();
            polling = PollAsync(server, now);
        }

        /// <summary>Each alert's first pending and firing time, in seconds after the watch started, e.g. <c>pending 0.9, firing 2.1</c>.</summary>
        public async Task<IReadOnlyDictionary<string, string>> StopAsync()
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await polling.ConfigureAwait(false);
            return firstSeen.GroupBy(e => e.Key.Name).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(
                g => g.Key,
                g => string.Join(", ", g.OrderBy(e => e.Value).Select(e => $"{e.Key.State} {(e.Value - origin).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}")));
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await polling.ConfigureAwait(false);
            stop.Dispose();
        }

        private async Task PollAsync(LocalPrometheus server, Func<TimeSpan> now)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    foreach (var alert in await server.AlertsAsync(stop.Token).ConfigureAwait(false))
                    {
                        firstSeen.TryAdd((alert.Name, alert.State), now());
                    }

                    await Task.Delay(500, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (HttpRequestException)
                {
                    // Prometheus is busy: the next poll tries again.
                }
            }
        }
    }
}
