using System.Xml.Linq;
using Holdfast.Cli.Monitor;
using Holdfast.Telemetry;

namespace Holdfast.Cli.Tests.Monitor;

public sealed class SvgChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Render_ASampleThatOutlastsTheInterval_BreaksTheLineAndShowsItsDuration()
    {
        var interval = TimeSpan.FromSeconds(1);
        List<MonitorSample> samples =
        [
            Ok(0, 8), Ok(1, 7), Ok(2, 12_000), Ok(14, 6), Ok(15, 7),
            new(Start.AddSeconds(16), TimeSpan.FromMilliseconds(3), TimeSpan.Zero, SampleOutcome.Failed, FailureKind.Refused, 1, CircuitState.Closed),
            Ok(17, 9),
        ];

        var chart = XDocument.Parse(SvgChart.Render(samples, AlertRule.ConnectTimeFor(HoldfastEnvironment.Development), "t", Start, interval));

        // 0-2 s, 14-15 s, 17 s: a line never bridges the 12 s sample or the failure.
        Assert.Equal(2, chart.Descendants(Svg + "polyline").Count());
        var duration = Assert.Single(chart.Descendants(Svg + "line"), l => (string?)l.Attribute("class") == "duration");
        Assert.True((double)duration.Attribute("x2")! > (double)duration.Attribute("x1")!);
        Assert.Equal(7, chart.Descendants(Svg + "circle").Count(c => (string?)c.Attribute("class") == "sample"));
        Assert.Single(chart.Descendants(Svg + "circle"), c => (string?)c.Attribute("data-kind") == "refused");
        Assert.Equal(2, chart.Descendants(Svg + "line").Count(l => (string?)l.Attribute("class") == "threshold"));
    }

    private static MonitorSample Ok(int second, double connectMs) =>
        new(Start.AddSeconds(second), TimeSpan.FromMilliseconds(connectMs), TimeSpan.FromMilliseconds(1), SampleOutcome.Ok, null, 1, CircuitState.Closed);
}
