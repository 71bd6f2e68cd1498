using System.Text.Json.Serialization;
using Holdfast.Cli.Common;

namespace Holdfast.Cli.Monitor;

/// <summary>How a sample ended.</summary>
internal enum SampleOutcome
{
    /// <summary>Connected and answered.</summary>
    Ok,

    /// <summary>Failed after the guard's attempts within the sample budget.</summary>
    Failed,

    /// <summary>Refused at once: the circuit was open.</summary>
    Rejected,
}

/// <summary>One timed connect + <c>SELECT 1</c>.</summary>
internal sealed record MonitorSample(
    DateTimeOffset At,
    [property: JsonIgnore] TimeSpan Connect,
    [property: JsonIgnore] TimeSpan Query,
    SampleOutcome Outcome,
    FailureKind? FailureKind,
    int Attempts,
    CircuitState Breaker)
{
    public double ConnectMs => CliJson.Milliseconds(Connect);

    public double QueryMs => CliJson.Milliseconds(Query);

    public bool Ok => Outcome == SampleOutcome.Ok;
}
