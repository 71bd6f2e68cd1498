using System.Text.Json.Serialization;

namespace Holdfast.Timeline;

/// <summary>
/// One bucket of a <see cref="TimelineRing"/>, as the dashboard's JSON carries it: what happened in the
/// <see cref="TimelineRing.Resolution"/> that starts at <see cref="At"/>. Series with no sample are null.
/// </summary>
/// <param name="At">The bucket's start.</param>
/// <param name="Connect">Physical connects.</param>
/// <param name="Open">Guarded opens: what a caller waited for a connection, retries included.</param>
/// <param name="Operation">Guarded operations (ExecuteAsync, EF Core operations; a monitor's query), retries included.</param>
/// <param name="Failures">Failed attempts by kind (the metric tag, e.g. <c>refused</c>).</param>
/// <param name="Rejected">Calls refused at once by an open circuit.</param>
/// <param name="Pool">The pool at its busiest moment in the bucket.</param>
/// <param name="Circuit">The worst circuit state seen in the bucket.</param>
internal sealed record TimelinePoint(
    DateTimeOffset At,
    LatencyAggregate? Connect,
    LatencyAggregate? Open,
    LatencyAggregate? Operation,
    IReadOnlyDictionary<string, int>? Failures,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Rejected,
    PoolUsage? Pool,
    CircuitState? Circuit);

/// <summary>Count, mean and maximum of the samples of one series in one bucket, in milliseconds.</summary>
internal sealed record LatencyAggregate(int Count, double MeanMs, double MaxMs);

/// <summary>The latency series a timeline keeps.</summary>
internal enum TimelineSeries
{
    /// <summary>Physical connects.</summary>
    Connect,

    /// <summary>Guarded opens.</summary>
    Open,

    /// <summary>Guarded operations.</summary>
    Operation,
}
