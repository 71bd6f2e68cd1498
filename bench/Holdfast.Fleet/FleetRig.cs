using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Holdfast.Chaos;
using Holdfast.Testing;

namespace Holdfast.Fleet;

/// <summary>
/// The fleet: one LocalPostgres with a small <c>max_connections</c> (and, through PgBouncer, one pooler in front), the
/// admin client, and the replicas, each sized by <c>holdfast plan</c> for the fleet at its maximum (twice the replicas,
/// and one more during a rollout).
/// </summary>
internal sealed class FleetRig : IAsyncDisposable
{
    /// <summary>The admin client's connection, and the short one of a kill storm.</summary>
    public const int OtherClients = 2;

    /// <summary>PgBouncer's server connections for the one database and user.</summary>
    public const int PgBouncerPoolSize = 10;

    public const int PgBouncerMaxClients = 300;

    private const string Password = "fleet correct horse";
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly DateTimeOffset startedAt = DateTimeOffset.UtcNow;
    private readonly List<Replica> replicas = [];
    private int started;

    private FleetRig(FleetSettings settings, LocalPostgres postgres, LocalPgBouncer? bouncer, int poolSize, string plan)
    {
        Settings = settings;
        Postgres = postgres;
        Bouncer = bouncer;
        PoolSize = poolSize;
        Plan = plan;
        Watch = new ServerWatch(postgres);
    }

    public FleetSettings Settings { get; }

    public LocalPostgres Postgres { get; }

    public LocalPgBouncer? Bouncer { get; }

    public ServerWatch Watch { get; }

    /// <summary>Max Pool Size per replica, from <c>holdfast plan</c>.</summary>
    public int PoolSize { get; }

    /// <summary>The plan's verdict line.</summary>
    public string Plan { get; }

    public string Email { get; } = $"fleet-{Guid.NewGuid():N}@example.com";

    public IReadOnlyList<Replica> Replicas => replicas;

    /// <summary>Prometheus scraping every replica with the repository's rules, once started; null when it is not installed.</summary>
    public FleetPrometheus? Prometheus { get; private set; }

    public TimeSpan Now => clock.Elapsed;

    public DateTimeOffset At(TimeSpan since) => startedAt + since;

    public static async Task<FleetRig> CreateAsync(FleetSettings settings)
    {
        var postgres = await LocalPostgres.CreateAsync(new LocalPostgresOptions { MaxConnections = settings.MaxConnections }).ConfigureAwait(false);
        LocalPgBouncer? bouncer = null;
        if (settings.ThroughPgBouncer)
        {
            bouncer = await LocalPgBouncer.CreateAsync(postgres, new LocalPgBouncerOptions
            {
                PoolMode = PgBouncerPoolMode.Transaction,
                DefaultPoolSize = PgBouncerPoolSize,
                MaxClientConnections = PgBouncerMaxClients,
            }).ConfigureAwait(false);
        }

        var (poolSize, plan) = await PlanAsync(settings).ConfigureAwait(false);
        return new FleetRig(settings, postgres, bouncer, poolSize, plan);
    }

    /// <summary>The arguments of <c>holdfast plan</c> for this fleet: the server, the admin client, 1 to 2N instances and a surge of one.</summary>
    public static IReadOnlyList<string> PlanArguments(FleetSettings settings)
    {
        var arguments = new List<string>
        {
            "plan", "--max-connections", Text(settings.MaxConnections), "--reserved", "3", "--other-clients", Text(OtherClients),
            "--min-instances", Text(settings.Replicas), "--max-instances", Text(settings.Replicas * 2), "--max-surge", "1",
        };
        if (settings.ThroughPgBouncer)
        {
            arguments.AddRange(["--pooler-pool-size", Text(PgBouncerPoolSize), "--pooler-max-client-conn", Text(PgBouncerMaxClients)]);
        }

        return arguments;
    }

    /// <summary>Starts <paramref name="count"/> more replicas; returns them (not yet ready).</summary>
    public IReadOnlyList<Replica> StartReplicas(int count)
    {
        var upstream = Bouncer?.Port ?? Postgres.Port;
        var fresh = Enumerable.Range(0, count).Select(_ =>
        {
            var name = $"r{Interlocked.Increment(ref started)}";
            return Replica.Start(name, upstream, proxyPort => Environment(proxyPort));
        }).ToList();
        replicas.AddRange(fresh);
        Prometheus?.SetTargets(replicas);
        return fresh;
    }

    /// <summary>Starts Prometheus on the replicas running now (and every one started later); false when it is not installed.</summary>
    public async Task<bool> StartPrometheusAsync()
    {
        Prometheus = await FleetPrometheus.StartAsync(replicas).ConfigureAwait(false);
        return Prometheus is not null;
    }

    /// <summary>Takes a replica out of the fleet and stops it (its load first, then SIGTERM).</summary>
    public async Task RemoveAsync(Replica replica)
    {
        replicas.Remove(replica);
        Prometheus?.SetTargets(replicas);
        await replica.StopAsync().ConfigureAwait(false);
        await replica.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Waits until every replica in <paramref name="which"/> answers <c>/health/ready</c> with 200; when, or null after the limit.</summary>
    public async Task<TimeSpan?> WaitReadyAsync(IReadOnlyList<Replica> which, TimeSpan within)
    {
        var until = Now + within;
        var pending = which.ToList();
        while (Now < until)
        {
            var answers = await Task.WhenAll(pending.Select(async r => (Replica: r, Ready: await r.IsReadyAsync().ConfigureAwait(false)))).ConfigureAwait(false);
            pending = [.. answers.Where(a => !a.Ready).Select(a => a.Replica)];
            if (pending.Count == 0)
            {
                return Now;
            }

            if (which.FirstOrDefault(r => r.Service.HasExited) is { } dead)
            {
                throw new InvalidOperationException($"replica {dead.Name} exited; see {dead.LogFile}");
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>Signs up the account every caller signs in as.</summary>
    public async Task CreateAccountAsync()
    {
        using var http = new HttpClient { BaseAddress = replicas[0].Service.Address };
        using var content = new StringContent(JsonSerializer.Serialize(new { email = Email, password = Password, displayName = "Fleet" }),
            System.Text.Encoding.UTF8, "application/json");
        using var created = await http.PostAsync("/accounts", content).ConfigureAwait(false);
        created.EnsureSuccessStatusCode();
    }

    /// <summary>Bounded load on <paramref name="replica"/>: the settings' callers, stopping by themselves after three minutes.</summary>
    public ServiceLoad LoadOn(Replica replica) => replica.Load = ServiceLoad.Start(replica.Service.Address, Email, Password, Settings.CallersPerReplica, TimeSpan.FromMinutes(3));

    public async ValueTask DisposeAsync()
    {
        if (Prometheus is not null)
        {
            await Prometheus.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var replica in replicas)
        {
            await replica.DisposeAsync().ConfigureAwait(false);
        }

        await Watch.DisposeAsync().ConfigureAwait(false);
        if (Bouncer is not null)
        {
            await Bouncer.DisposeAsync().ConfigureAwait(false);
        }

        await Postgres.DisposeAsync().ConfigureAwait(false);
    }

    private Dictionary<string, string> Environment(int proxyPort)
    {
        var environment = new Dictionary<string, string>
        {
            ["DATABASE_URL"] = Postgres.DatabaseUrlVia(proxyPort),
            ["HOLDFAST_ENVIRONMENT"] = "staging",
            ["Holdfast__Pool__MaxSize"] = Text(PoolSize),
        };
        if (Settings.ThroughPgBouncer)
        {
            environment["Holdfast__Pooler__Mode"] = "Transaction";
        }

        return environment;
    }

    private static async Task<(int PoolSize, string Plan)> PlanAsync(FleetSettings settings)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Holdfast.Cli.dll"));
        foreach (var argument in PlanArguments(settings).Append("--json"))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        using var json = JsonDocument.Parse(output);
        var verdict = json.RootElement.GetProperty("verdict").GetString()!;
        if (!json.RootElement.GetProperty("fits").GetBoolean())
        {
            throw new InvalidOperationException($"holdfast plan: {verdict}");
        }

        return (json.RootElement.GetProperty("poolSize").GetInt32(), verdict);
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
