using Holdfast.Configuration;
using Holdfast.Resilience;
using Holdfast.Timeouts;
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
        return new StageOutcome(server.Describe() + (crowded ? $"; {server.ConnectionsInUse} of {usable} usable slots are taken" : ""),
            crowded ? StageStatus.Warning : StageStatus.Ok);
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
