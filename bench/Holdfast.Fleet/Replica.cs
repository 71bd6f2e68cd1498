using System.Net;
using Holdfast.Chaos;
using Holdfast.Testing;

namespace Holdfast.Fleet;

/// <summary>
/// One replica of the reference service: its own process, and its own FaultProxy in front of the database (or the
/// pooler) that passes everything and counts the replica's connection attempts where they arrive.
/// </summary>
internal sealed class Replica : IAsyncDisposable
{
    private readonly HttpClient health;

    private Replica(string name, FaultProxy proxy, ServiceUnderTest service, string logFile)
    {
        Name = name;
        Proxy = proxy;
        Service = service;
        LogFile = logFile;
        health = new HttpClient { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(5) };
    }

    public string Name { get; }

    public FaultProxy Proxy { get; }

    public ServiceUnderTest Service { get; }

    public string LogFile { get; }

    /// <summary>The load on this replica, while it has one.</summary>
    public ServiceLoad? Load { get; set; }

    /// <summary>Starts a replica whose database is <paramref name="upstreamPort"/> on loopback, with <paramref name="environment"/>.</summary>
    public static Replica Start(string name, int upstreamPort, Func<int, IReadOnlyDictionary<string, string>> environment)
    {
        var proxy = FaultProxy.Start("127.0.0.1", upstreamPort);
        var logFile = Path.Combine(Path.GetTempPath(), $"holdfast-fleet-{Environment.ProcessId}-{name}.log");
        var service = ServiceUnderTest.Start(environment(proxy.Port), logFile);
        return new Replica(name, proxy, service, logFile);
    }

    /// <summary>True when <c>/health/ready</c> answers 200 now.</summary>
    public async Task<bool> IsReadyAsync()
    {
        try
        {
            using var response = await health.GetAsync("/health/ready").ConfigureAwait(false);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>When the replica's circuit last opened, from <c>/health</c>; null when it has not (or no answer).</summary>
    public async Task<DateTimeOffset?> LastOpenedAtAsync()
    {
        try
        {
            using var response = await health.GetAsync("/health").ConfigureAwait(false);
            using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
            return json.RootElement.GetProperty("circuit").TryGetProperty("lastOpenedAt", out var at) && at.ValueKind == System.Text.Json.JsonValueKind.String
                ? at.GetDateTimeOffset()
                : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or KeyNotFoundException)
        {
            return null;
        }
    }

    /// <summary>"too many clients" (SQLSTATE 53300) lines in the replica's output so far.</summary>
    public int TooManyClients()
    {
        using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var count = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Contains("53300", StringComparison.Ordinal) || line.Contains("too many clients", StringComparison.OrdinalIgnoreCase))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Stops its load, then the process as an orchestrator would (SIGTERM, a grace period), then its proxy.</summary>
    public async Task StopAsync()
    {
        if (Load is { } load)
        {
            await load.StopAsync().ConfigureAwait(false);
        }

        await Service.StopGracefullyAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        await Proxy.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Ends the process and the proxy; the load belongs to whoever started it (see <see cref="FleetRun"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync().ConfigureAwait(false);
        await Proxy.DisposeAsync().ConfigureAwait(false);
        health.Dispose();
    }
}
