using Holdfast.Cli.Common;
using Holdfast.Faults;
using Holdfast.Telemetry;
using Holdfast.Timeouts;
using Holdfast.Topology;

namespace Holdfast.Cli.Doctor;

/// <summary>Everything the doctor found; the JSON document of <c>holdfast doctor --json</c>.</summary>
internal sealed record DoctorReport(
    string Environment,
    string EnvironmentSource,
    EndpointInfo? Configuration,
    IReadOnlyList<TimeoutInfo> Timeouts,
    double StageTimeoutMs,
    IReadOnlyList<StageResult> Stages,
    TlsReport? Tls,
    ServerFacts? Server,
    PoolerReport? Pooler,
    IReadOnlyList<HostReport>? Hosts,
    ConnectsInfo? Connects,
    Verdict Verdict);

/// <summary>What sits between the client and PostgreSQL, as the server-facts stage found it.</summary>
internal sealed record PoolerReport(bool Present, string? Name, string? Version, string Mode, string Evidence)
{
    public static PoolerReport From(PoolerInfo info) => new(info.Present, info.Name, info.Version, info.Mode.ToString(), info.Evidence);
}

/// <summary>One host of a multi-host endpoint, probed on its own.</summary>
internal sealed record HostReport(string Host, string Role, double LatencyMs, long? ReplayLagBytes, double? LastReplayAgeSeconds, DatabaseFailure? Failure)
{
    public static HostReport From(HostState state) => new(state.Host.ToString(), state.Role.ToString(), CliJson.Milliseconds(state.Latency),
        state.ReplayLagBytes, state.LastReplayAge?.TotalSeconds, state.Failure);
}

/// <summary>The endpoint as found, redacted.</summary>
internal sealed record EndpointInfo(
    string Source,
    string Display,
    IReadOnlyList<string> Hosts,
    string Database,
    string Username,
    bool HasPassword,
    string? SocketDirectory,
    string SslMode,
    string? ApplicationName,
    IReadOnlyList<string> Warnings)
{
    public static EndpointInfo From(DatabaseEndpoint endpoint) => new(
        endpoint.SourceName, endpoint.ToString(), [.. endpoint.Hosts.Select(h => h.ToString())], endpoint.Database, endpoint.Username,
        endpoint.HasPassword, endpoint.SocketDirectory, endpoint.SslMode.ToString(), endpoint.ApplicationName, endpoint.Warnings);
}

/// <summary>One effective timeout with its source.</summary>
internal sealed record TimeoutInfo(TimeoutKind Kind, double Seconds, string Source)
{
    public static IReadOnlyList<TimeoutInfo> From(HoldfastTimeouts timeouts) =>
        [.. timeouts.Settings.Select(s => new TimeoutInfo(s.Kind, s.Value.TotalSeconds, s.Source))];
}

/// <summary>Timed physical connects.</summary>
internal sealed record ConnectsInfo(int Requested, int Succeeded, double MinMs, double P50Ms, double P95Ms, double MaxMs, IReadOnlyList<double> SamplesMs)
{
    public static ConnectsInfo From(int requested, IReadOnlyList<TimeSpan> samples)
    {
        var summary = LatencySummary.From(samples);
        return new ConnectsInfo(requested, samples.Count, CliJson.Milliseconds(summary.Min), CliJson.Milliseconds(summary.P50),
            CliJson.Milliseconds(summary.P95), CliJson.Milliseconds(summary.Max), [.. samples.Select(CliJson.Milliseconds)]);
    }
}

/// <summary>The conclusion: healthy, or the first failure with its fix.</summary>
internal sealed record Verdict(bool Healthy, string? Stage, FailureKind? Kind, bool? Transient, bool? Permanent, string? Diagnosis, int ExitCode, IReadOnlyList<string> Warnings)
{
    public static Verdict From(IReadOnlyList<StageResult> stages)
    {
        var warnings = stages.Where(s => s.Status == StageStatus.Warning).Select(s => $"{s.Name}: {s.Detail}").ToList();
        var failed = stages.FirstOrDefault(s => s.Status == StageStatus.Failed);
        if (failed?.Failure is not { } failure)
        {
            return new Verdict(true, null, null, null, null, null, ExitCodes.Healthy, warnings);
        }

        return new Verdict(false, failed.Name, failure.Kind, failure.IsTransient, failure.IsPermanent, failure.Diagnosis, failure.ExitCode, warnings);
    }
}
