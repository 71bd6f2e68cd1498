using Holdfast.Configuration;
using Holdfast.Startup;

namespace Holdfast.AspNetCore.Health;

/// <summary>The JSON of <c>/health</c>: everything an operator needs to see at once; never a password.</summary>
internal sealed record HealthDocument(
    string Status,
    string Environment,
    IReadOnlyDictionary<string, string> Checks,
    StartupSection Startup,
    TimeoutsSection Timeouts,
    CircuitSection Circuit,
    LatencySection ConnectLatency,
    PoolUsage Pool,
    ProbeSection? Database,
    IReadOnlyList<AlertSection> Alerts,
    TrendSection Trend,
    IReadOnlyList<HostSection>? Hosts,
    PoolerSection? Pooler,
    TlsSection? Tls)
{
    public static HealthDocument Create(string status, IReadOnlyDictionary<string, string> checks, StartupOrchestrator startup,
        HoldfastDataSource dataSource, DatabaseProbeResult? probe)
    {
        var report = startup.Report;
        var circuit = dataSource.Status;
        var latency = dataSource.ConnectLatency;
        var trend = dataSource.History.Trend(TimeSpan.FromHours(1), TimeSpan.FromHours(24));
        return new HealthDocument(
            status,
            report.Environment.ToName(),
            checks,
            new StartupSection(report.Outcome.ToString(), report.Bypass?.Rule, report.StartedAt, report.CompletedAt, report.RecoveredAt,
                report.RecoveryAttempts, [.. report.Phases.Select(p => new PhaseSection(p.Name, p.Kind.ToString(), p.Status.ToString(),
                    p.Budget.TotalSeconds, Math.Round(p.Duration.TotalMilliseconds, 1), p.Failure?.Kind.ToString(), p.Failure?.Diagnosis))]),
            new TimeoutsSection(
                report.Timeouts.ToDictionary(t => t.Kind.ToString(), t => new TimeoutValue(t.Value.TotalSeconds, t.Source)),
                dataSource.ExplainTimeouts().ToDictionary(e => e.Kind.ToString(), e => new EffectiveTimeout(e.Final.TotalSeconds, e.Reason))),
            new CircuitSection(circuit.State.ToString(), circuit.ConsecutiveFailures, circuit.LastFailure?.Kind.ToString(),
                circuit.LastFailure?.Message, circuit.LastFailure?.Diagnosis, circuit.LastFailureAt,
                // Isolated by hand: no probe is coming (NextProbeIn is then the largest span there is).
                circuit.NextProbeIn is { } next && next < TimeSpan.FromDays(1) ? next.TotalSeconds : null, circuit.OpenedAt),
            new LatencySection(latency.Count, Ms(latency.Summary.P50), Ms(latency.Summary.P95), Ms(latency.Summary.P99), Ms(latency.Summary.Max)),
            dataSource.PoolUsage,
            probe is null ? null : new ProbeSection(probe.Answers, Math.Round(probe.Latency.TotalMilliseconds, 1), probe.CheckedAt, probe.Failure?.Kind.ToString()),
            [.. dataSource.ActiveAlerts.Select(a => new AlertSection(a.Rule, a.Level.ToString(), a.Value.TotalSeconds, a.Threshold.TotalSeconds, a.At, a.Message))],
            new TrendSection(trend.Direction.ToString(), trend.P95Ratio, trend.Recent.Count, trend.Baseline.Count, trend.RecentFailures, trend.BaselineFailures),
            probe?.Hosts is { Count: > 0 } hosts
                ? [.. hosts.Select(h => new HostSection(h.Host.ToString(), h.Role.ToString(), Math.Round(h.Latency.TotalMilliseconds, 1),
                    h.ReplayLagBytes, h.LastReplayAge is { } age ? Math.Round(age.TotalSeconds, 1) : null, h.Failure?.Kind.ToString()))]
                : null,
            dataSource.Pooler is { } pooler
                ? new PoolerSection(pooler.Present, pooler.Name, pooler.Version, pooler.Mode.ToString(), pooler.Evidence)
                : null,
            TlsSection.From(dataSource));
    }

    private static double Ms(TimeSpan value) => Math.Round(value.TotalMilliseconds, 2);
}

internal sealed record StartupSection(string Outcome, string? Bypass, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt,
    DateTimeOffset? RecoveredAt, int RecoveryAttempts, IReadOnlyList<PhaseSection> Phases);

internal sealed record PhaseSection(string Name, string Kind, string Status, double BudgetSeconds, double DurationMs, string? FailureKind, string? Diagnosis);

internal sealed record TimeoutsSection(IReadOnlyDictionary<string, TimeoutValue> Configured, IReadOnlyDictionary<string, EffectiveTimeout> Effective);

internal sealed record TimeoutValue(double Seconds, string Source);

internal sealed record EffectiveTimeout(double Seconds, string Reason);

internal sealed record CircuitSection(string State, int ConsecutiveFailures, string? LastFailureKind, string? LastFailureMessage,
    string? LastFailureDiagnosis, DateTimeOffset? LastFailureAt, double? NextProbeInSeconds, DateTimeOffset? LastOpenedAt);

internal sealed record LatencySection(int Samples, double P50Ms, double P95Ms, double P99Ms, double MaxMs);

internal sealed record ProbeSection(bool Answers, double LatencyMs, DateTimeOffset CheckedAt, string? FailureKind);

internal sealed record AlertSection(string Rule, string Level, double ValueSeconds, double ThresholdSeconds, DateTimeOffset At, string Message);

internal sealed record TrendSection(string Direction, double? P95Ratio, long RecentSamples, long BaselineSamples, long RecentFailures, long BaselineFailures);

internal sealed record HostSection(string Host, string Role, double LatencyMs, long? ReplayLagBytes, double? LastReplayAgeSeconds, string? FailureKind);

internal sealed record PoolerSection(bool Present, string? Name, string? Version, string Mode, string Evidence);

/// <summary>The server certificate as last seen: who it is for, who issued it, when it expires, what the sslmode verifies.</summary>
internal sealed record TlsSection(string SslMode, string Verification, string? Protocol, string? Subject, string? Issuer, DateTimeOffset? NotAfter,
    double? DaysLeft, bool ChainVerified, bool HostNameVerified, double WarningDays, bool ExpiresSoon, DateTimeOffset? CheckedAt)
{
    public static TlsSection? From(HoldfastDataSource dataSource)
    {
        var watch = dataSource.Certificate;
        if (!watch.Applies)
        {
            return null;
        }

        var seen = watch.Latest;
        var warning = dataSource.Options.Tls.CertificateExpiryWarning;
        var daysLeft = seen?.NotAfter is { } notAfter ? Math.Round((notAfter - dataSource.Options.TimeProvider.GetUtcNow()).TotalDays, 1) : (double?)null;
        return new TlsSection(SslModes.ToLibpqName(dataSource.Endpoint.SslMode), dataSource.Endpoint.TlsVerificationText, seen?.Protocol.ToString(),
            seen?.Subject, seen?.Issuer, seen?.NotAfter, daysLeft, seen?.ChainVerified ?? false, seen?.HostNameVerified ?? false, warning.TotalDays,
            daysLeft < warning.TotalDays, seen?.ObservedAt);
    }
}
