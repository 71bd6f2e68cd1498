using Holdfast.Resilience;
using Holdfast.Timeouts;
using Holdfast.Topology;
using Npgsql;

namespace Holdfast.Cli.Doctor;

internal sealed partial class DoctorRunner
{
    private async Task<StageOutcome> AuthenticateAsync(DatabaseEndpoint target, CancellationToken cancellationToken)
    {
        session = await AbandonableOpen.OpenAsync(PhysicalConnectionString(target), cancellationToken);
        return new StageOutcome($"authenticated as {session.UserName} to database {session.Database}");
    }

    private static async Task<StageOutcome> FirstQueryAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        var answer = await command.ExecuteScalarAsync(cancellationToken);
        return new StageOutcome($"SELECT 1 returned {answer}");
    }

    private async Task<StageOutcome> ReadServerFactsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        server = await ServerFacts.ReadAsync(connection, cancellationToken);
        var usable = server.MaxConnections - server.ReservedConnections;
        var crowded = usable > 0 && server.ConnectionsInUse >= usable * 0.8;
        var between = await DetectPoolerAsync(cancellationToken);
        return new StageOutcome(server.Describe() + "; " + between + (crowded ? $"; {server.ConnectionsInUse} of {usable} usable slots are taken" : ""),
            crowded ? StageStatus.Warning : StageStatus.Ok);
    }

    /// <summary>Names a pooler in front (and its mode), or says there is none; a detection that fails is said, not fatal.</summary>
    private async Task<string> DetectPoolerAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Half the stage at most: the facts already read must not be lost to a slow pooler.
            var info = await PoolerDetector.DetectAsync(PhysicalConnectionString(endpoint!), stageTimeout / 2, cancellationToken: cancellationToken);
            pooler = PoolerReport.From(info);
            return info.Present
                ? $"behind {info} (found by its backend keys; Holdfast:Pooler:Mode Auto turns off automatic preparation and reset on close " +
                  "under transaction pooling; max_connections above is the server's, the pooler's own limits apply to clients)"
                : "no pooler in between";
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return $"could not tell whether a pooler is in between ({ex.GetType().Name})";
        }
    }

    /// <summary>Each host of a multi-host endpoint on its own: reachable, primary or standby, replication lag.</summary>
    private async Task<StageOutcome> WalkHostsAsync(DatabaseEndpoint target, CancellationToken cancellationToken)
    {
        var states = await HostProbe.ProbeAsync(target, stageTimeout, time, "holdfast-doctor", cancellationToken: cancellationToken);
        hosts = [.. states.Select(HostReport.From)];
        var detail = string.Join("; ", states.Select(s => s.ToString())) + $" (target_session_attrs={target.TargetSessionAttributes})";
        var primaries = states.Count(s => s.Role == HostRole.Primary);
        var notes = new List<string>();
        if (states.Any(s => s.Role == HostRole.Unreachable))
        {
            notes.Add("a host is unreachable: a failover has fewer places to go");
        }

        if (primaries == 0)
        {
            notes.Add("no host is a primary: writes fail until a standby is promoted");
        }
        else if (primaries > 1)
        {
            notes.Add("more than one host is a primary: a split brain, or an old primary that was never turned into a standby");
        }

        return notes.Count == 0 ? new StageOutcome(detail) : new StageOutcome($"{detail}; {string.Join("; ", notes)}", StageStatus.Warning);
    }

    /// <summary>
    /// Opens <see cref="DoctorSettings.Samples"/> new physical connections one after another and times each open.
    /// Warns when the p95 exceeds half of the connection timeout: the point where budgets start to need stretching.
    /// </summary>
    private async Task<StageOutcome> TimedConnectsAsync(DatabaseEndpoint target, CancellationToken cancellationToken)
    {
        var samples = new List<TimeSpan>(settings.Samples);
        var connectionString = PhysicalConnectionString(target);
        for (var i = 0; i < settings.Samples; i++)
        {
            var started = time.GetTimestamp();
            await using var connection = await AbandonableOpen.OpenAsync(connectionString, cancellationToken);
            samples.Add(time.GetElapsedTime(started));
        }

        connects = ConnectsInfo.From(settings.Samples, samples);
        if (samples.Count == 0)
        {
            return new StageOutcome("no samples asked for (--samples 0)", StageStatus.Skipped);
        }

        var detail = $"{samples.Count} new connections: min {Ms(connects.MinMs)}, p50 {Ms(connects.P50Ms)}, p95 {Ms(connects.P95Ms)}, max {Ms(connects.MaxMs)}";
        var half = timeouts!.Profile.Connection / 2;
        return TimeSpan.FromMilliseconds(connects.P95Ms) > half
            ? new StageOutcome($"{detail}; p95 is above half the connection timeout ({DurationText.Format(half)}): raise the timeouts or look at the network path", StageStatus.Warning)
            : new StageOutcome(detail);
    }

    private static string Ms(double milliseconds) => DurationText.Format(TimeSpan.FromMilliseconds(milliseconds));
}
