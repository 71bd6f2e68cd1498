using Holdfast.Chaos;
using Holdfast.Testing;

namespace Holdfast.Fleet;

/// <summary>Runs one fault against the loaded fleet and measures what the fleet promises.</summary>
internal sealed class FleetRun(FleetRig rig)
{
    /// <summary>
    /// Before a replica's circuit opens, its callers' own failing attempts are what opens it: not paced. Per replica, the
    /// pacing is measured from its circuit's opening (from <c>/health</c>), or from this long after the fault if it did not open.
    /// </summary>
    private static readonly TimeSpan Discovery = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(100);

    /// <summary>How long after the server accepts connections pg_ctl start may return (it polls every 100 ms).</summary>
    private static readonly TimeSpan ServerReadyLag = TimeSpan.FromMilliseconds(200);

    public async Task<FleetResult> RunAsync(string fault)
    {
        var settings = rig.Settings;
        var loads = new List<(ServiceLoad Load, TimeSpan Origin)>();
        var seen = new List<Replica>();
        void Load(Replica replica)
        {
            var load = rig.LoadOn(replica);
            loads.Add((load, rig.Now - load.Now));
            seen.Add(replica);
        }

        foreach (var replica in rig.Replicas)
        {
            Load(replica);
        }

        await Task.Delay(settings.Warmup).ConfigureAwait(false);
        await using var alerts = rig.Prometheus?.Watch(() => rig.Now);
        var tooManyBefore = rig.Replicas.Sum(r => r.TooManyClients());
        var tooManyGone = 0;
        rig.Watch.ResetPeak();
        var faultAt = rig.Now;
        TimeSpan acceptingAt;
        var extras = new List<Replica>();
        switch (fault)
        {
            case "restart":
                await rig.Postgres.RestartAsync().ConfigureAwait(false);
                acceptingAt = rig.Now;
                break;
            case "stop":
                await rig.Postgres.StopAsync(ShutdownMode.Fast).ConfigureAwait(false);
                await Task.Delay(settings.StopDuration).ConfigureAwait(false);
                await rig.Postgres.StartAsync().ConfigureAwait(false);
                acceptingAt = rig.Now;
                break;
            case "rolling-restart":
                // One replica at a time, one of overlap: the new one is ready before the old one is stopped.
                acceptingAt = faultAt;
                foreach (var old in rig.Replicas.ToList())
                {
                    var fresh = rig.StartReplicas(1)[0];
                    _ = await rig.WaitReadyAsync([fresh], settings.ReadyLimit).ConfigureAwait(false) ?? throw new TimeoutException($"{fresh.Name} not ready");
                    Load(fresh);
                    tooManyGone += old.TooManyClients();
                    await rig.RemoveAsync(old).ConfigureAwait(false);
                }

                break;
            case "scale-up":
                acceptingAt = faultAt;
                extras.AddRange(rig.StartReplicas(rig.Replicas.Count));
                _ = await rig.WaitReadyAsync(extras, settings.ReadyLimit).ConfigureAwait(false) ?? throw new TimeoutException("the new replicas were not ready");
                foreach (var extra in extras)
                {
                    Load(extra);
                }

                await Task.Delay(settings.Warmup).ConfigureAwait(false);
                break;
            case "kill-storm":
                var until = rig.Now + settings.StormDuration;
                while (rig.Now < until)
                {
                    await rig.Watch.KillAllAsync().ConfigureAwait(false);
                    await Task.Delay(250).ConfigureAwait(false);
                }

                acceptingAt = rig.Now;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, "not a fleet fault");
        }

        var allReady = await rig.WaitReadyAsync(rig.Replicas, settings.ReadyLimit).ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        foreach (var (load, _) in loads)
        {
            await load.StopAsync().ConfigureAwait(false);
        }

        var tooMany = rig.Replicas.Sum(r => r.TooManyClients()) + tooManyGone - tooManyBefore;
        var alertsSeen = alerts is null ? null : await alerts.StopAsync().ConfigureAwait(false);
        var capacityShare = rig.Prometheus is { } prometheus ? await prometheus.CapacityShareAsync().ConfigureAwait(false) : null;
        var openedAt = new Dictionary<Replica, DateTimeOffset>();
        foreach (var replica in rig.Replicas)
        {
            if (await replica.LastOpenedAtAsync().ConfigureAwait(false) is { } at)
            {
                openedAt[replica] = at;
            }
        }

        var peak = rig.Watch.Peak;
        var requests = loads.SelectMany(l => l.Load.Requests.Select(r => (Start: l.Origin + r.Start, End: l.Origin + r.End, r.Status, r.RetryAfter)))
            .Where(r => r.End >= faultAt).ToList();

        // Connection attempts, where they arrive: each replica's proxy. Per replica, from the end of the discovery to its
        // first attempt after the database accepts again (which succeeds); the fleet's, in the three seconds after that.
        var perReplica = seen.Where(r => !extras.Contains(r) || fault != "scale-up").Select(r =>
        {
            var accepts = r.Proxy.AcceptTimes;
            var firstAfter = accepts.Where(t => t >= rig.At(acceptingAt - ServerReadyLag)).DefaultIfEmpty(rig.At(acceptingAt)).First();
            return FaultProxy.MaxWithin(accepts, Window, openedAt.TryGetValue(r, out var opened) && opened > rig.At(faultAt) ? opened + Window : rig.At(faultAt + Discovery), firstAfter);
        }).DefaultIfEmpty(0).Max();
        var everyAccept = seen.SelectMany(r => r.Proxy.AcceptTimes).Order().ToList();
        var fleetMax = FaultProxy.MaxWithin(everyAccept, Window, rig.At(acceptingAt), rig.At(acceptingAt + TimeSpan.FromSeconds(3)));
        var discovery = everyAccept.Count(t => t >= rig.At(faultAt) && t < rig.At(faultAt + Discovery));

        foreach (var extra in extras)
        {
            await rig.RemoveAsync(extra).ConfigureAwait(false);
        }

        foreach (var (load, _) in loads)
        {
            await load.DisposeAsync().ConfigureAwait(false);
        }

        return new FleetResult(
            fault,
            settings.Mode,
            seen.Count,
            rig.PoolSize,
            requests.Count,
            requests.GroupBy(r => r.Status == 0 ? "none" : r.Status.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            requests.Count(r => r.Status >= 500 && r.Status != 503),
            requests.Count(r => r.Status == 0),
            requests.Count(r => r.Status == 503 && r.RetryAfter is null),
            tooMany,
            requests.Where(r => r.Status == 503).Select(r => (double?)Round((r.End - faultAt).TotalSeconds)).Min(),
            allReady is { } ready ? Round(Math.Max(0, (ready - acceptingAt).TotalSeconds)) : null,
            peak,
            rig.Settings.ThroughPgBouncer ? rig.Settings.MaxConnections : rig.Settings.MaxConnections,
            perReplica,
            fleetMax,
            discovery,
            alertsSeen,
            capacityShare,
            Note(fault, settings));
    }

    private static string Note(string fault, FleetSettings settings) => fault switch
    {
        "restart" => "pg_ctl restart -m fast",
        "stop" => $"pg_ctl stop -m fast, {settings.StopDuration.TotalSeconds:0} s, start",
        "rolling-restart" => "each replica replaced in turn, the new one ready before the old one gets SIGTERM",
        "scale-up" => "as many replicas again started at once while loaded, then stopped",
        _ => $"every client backend terminated every 250 ms for {settings.StormDuration.TotalSeconds:0} s",
    };

    private static double Round(double value) => Math.Round(value, 3);
}
