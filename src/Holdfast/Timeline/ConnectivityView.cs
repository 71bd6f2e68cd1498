using System.Text.Json;
using System.Text.Json.Serialization;
using Holdfast.Telemetry;

namespace Holdfast.Timeline;

/// <summary>
/// The document the dashboard page draws: the service's live <c>/holdfast/api/state</c>, or the data embedded in a
/// <c>holdfast monitor --html</c> report. Version 1; fields are only ever added. Never holds a password: the endpoint
/// is in its redacted form.
/// </summary>
/// <param name="Version">The document's format version.</param>
/// <param name="Source"><c>service</c> (live) or <c>monitor</c> (a CLI run).</param>
/// <param name="GeneratedAt">When it was made.</param>
/// <param name="Environment">The environment whose budgets apply.</param>
/// <param name="Endpoint">The endpoint, redacted.</param>
/// <param name="Verdict">The verdict at a glance.</param>
/// <param name="Thresholds">The alert rules' thresholds, drawn on the latency chart.</param>
/// <param name="Recent">The detailed series (by the second in a service; by the sample interval in a monitor run).</param>
/// <param name="History">The minute series of the last 24 h (a service, when asked for).</param>
/// <param name="Health">The <c>/health</c> document (a service only).</param>
internal sealed record ConnectivityView(
    int Version,
    string Source,
    DateTimeOffset GeneratedAt,
    string Environment,
    string Endpoint,
    ConnectivityVerdict Verdict,
    IReadOnlyList<ThresholdLine> Thresholds,
    TimelineView Recent,
    TimelineView? History,
    object? Health)
{
    /// <summary>The JSON form: camelCase, enums as their names, nulls left out.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The thresholds of <paramref name="rules"/>.</summary>
    public static IReadOnlyList<ThresholdLine> ThresholdsOf(IEnumerable<AlertRule> rules) =>
        [.. rules.Select(r => new ThresholdLine(r.Name, r.Warning.TotalMilliseconds, r.Critical.TotalMilliseconds))];
}

/// <summary>The verdict: <c>Ready</c>, <c>Degraded</c>, <c>Failed</c> or <c>Starting</c>, and why in a sentence.</summary>
/// <param name="State">The one word.</param>
/// <param name="Summary">Why.</param>
internal sealed record ConnectivityVerdict(string State, string Summary);

/// <summary>An alert rule's thresholds, in milliseconds.</summary>
/// <param name="Rule">The rule's name.</param>
/// <param name="WarningMs">Warning at or above this.</param>
/// <param name="CriticalMs">Critical at or above this.</param>
internal sealed record ThresholdLine(string Rule, double WarningMs, double CriticalMs);

/// <summary>A timeline's points.</summary>
/// <param name="ResolutionSeconds">The width of one point.</param>
/// <param name="SpanSeconds">How far back the timeline reaches.</param>
/// <param name="Points">The points, oldest first.</param>
internal sealed record TimelineView(double ResolutionSeconds, double SpanSeconds, IReadOnlyList<TimelinePoint> Points)
{
    /// <summary>The points of <paramref name="ring"/> from <paramref name="from"/> (all when null).</summary>
    public static TimelineView Of(TimelineRing ring, DateTimeOffset now, DateTimeOffset? from = null) =>
        new(ring.Resolution.TotalSeconds, ring.Span.TotalSeconds, ring.Points(now, from));
}
