using System.Text.Json.Serialization;
using Holdfast.Cli.Common;

namespace Holdfast.Cli.Doctor;

internal enum StageStatus
{
    Ok,
    Warning,
    Failed,
    Skipped,
}

/// <summary>What a stage body reports when it finishes without throwing.</summary>
internal sealed record StageOutcome(string Detail, StageStatus Status = StageStatus.Ok, DatabaseFailure? Failure = null)
{
    public static StageOutcome Fail(DatabaseFailure failure) => new(failure.Message, StageStatus.Failed, failure);
}

/// <summary>One stage of the doctor's probe, as shown and as written in JSON.</summary>
internal sealed record StageResult(
    string Name,
    StageStatus Status,
    [property: JsonIgnore] TimeSpan Duration,
    string Detail,
    DatabaseFailure? Failure = null)
{
    public double DurationMs => CliJson.Milliseconds(Duration);

    public static StageResult Skipped(string name, string reason) => new(name, StageStatus.Skipped, TimeSpan.Zero, reason);
}
