using Holdfast.Cli.Common;
using Holdfast.Configuration;
using Holdfast.Faults;
using Holdfast.Telemetry;

namespace Holdfast.Cli.Monitor;

/// <summary>The JSON document of a monitor run (the <c>--json</c> file, or stdout).</summary>
internal sealed record MonitorReport(
    string Environment,
    string Endpoint,
    double IntervalSeconds,
    double DurationSeconds,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    bool Cancelled,
    object Rule,
    IReadOnlyList<MonitorSample> Samples,
    object Summary,
    IReadOnlyDictionary<string, int> FailuresByKind,
    string FinalBreaker,
    IReadOnlyList<object> Alerts,
    int ExitCode)
{
    /// <summary>The recent window of the trend: the last quarter of the run, at least one interval.</summary>
    public static TimeSpan RecentWindow(TimeSpan elapsed, TimeSpan interval)
    {
        // Whole seconds once it is over a second, so the report says "recent 5 s", not "recent 5.019 s".
        var quarter = elapsed / 4;
        quarter = quarter > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(Math.Round(quarter.TotalSeconds)) : quarter;
        return quarter > interval ? quarter : interval;
    }

    public static MonitorReport From(MonitorSession session, DateTimeOffset endedAt, bool cancelled)
    {
        var samples = session.Samples;
        var elapsed = endedAt - session.StartedAt + session.Interval;
        var trend = session.History.Trend(RecentWindow(elapsed, session.Interval), elapsed, minimumSamples: 3);
        var last = samples.LastOrDefault();
        var exit = last is null || last.Ok ? ExitCodes.Healthy : last.FailureKind?.ToExitCode() ?? ExitCodes.Unavailable;
        return new MonitorReport(
            session.Timeouts.Environment.ToName(),
            session.Endpoint.ToString(),
            session.Interval.TotalSeconds,
            session.Duration.TotalSeconds,
            session.StartedAt,
            endedAt,
            cancelled,
            new { session.Rule.Name, WarningSeconds = session.Rule.Warning.TotalSeconds, CriticalSeconds = session.Rule.Critical.TotalSeconds },
            samples,
            new { Whole = Describe(trend.Baseline), Recent = Describe(trend.Recent), Trend = trend.Direction, trend.P95Ratio },
            samples.Where(s => s.FailureKind is not null).GroupBy(s => HoldfastInstruments.KindTag(s.FailureKind!.Value)).ToDictionary(g => g.Key, g => g.Count()),
            session.Breaker.ToString(),
            [.. session.AlertLog.Select(a => (object)new { a.Rule, a.Level, a.Previous, ValueSeconds = a.Value.TotalSeconds, ThresholdSeconds = a.Threshold.TotalSeconds, a.At })],
            exit);
    }

    private static object Describe(HistorySummary summary) => new
    {
        SpanSeconds = Math.Round(summary.Span.TotalSeconds, 3),
        summary.Count,
        summary.Failures,
        MeanMs = CliJson.Milliseconds(summary.Mean),
        P50Ms = CliJson.Milliseconds(summary.P50),
        P95Ms = CliJson.Milliseconds(summary.P95),
        MaxMs = CliJson.Milliseconds(summary.Max),
    };
}
