using System.Globalization;
using System.Security;
using System.Text;
using Holdfast.Telemetry;

namespace Holdfast.Cli.Monitor;

/// <summary>
/// A latency chart as SVG, readable in any browser: connect time of each sample over the run, failures in red along the
/// top, the alert thresholds as dashed lines when they are in range. Each point carries its sample in data attributes.
/// </summary>
internal static class SvgChart
{
    private const int Width = 960;
    private const int Height = 420;
    private const int Left = 70;
    private const int Right = 30;
    private const int Top = 56;
    private const int Bottom = 56;

    public static string Render(IReadOnlyList<MonitorSample> samples, AlertRule rule, string title, DateTimeOffset startedAt, TimeSpan interval)
    {
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        var ok = samples.Where(s => s.Ok).ToList();
        var maxMs = ok.Count == 0 ? 1 : ok.Max(s => s.ConnectMs);
        var showWarning = rule.Warning.TotalMilliseconds <= maxMs * 1.5;
        var top = NiceCeiling(Math.Max(maxMs, showWarning ? Math.Min(rule.Critical.TotalMilliseconds, maxMs * 1.5) : 0) * 1.1);
        var span = Math.Max(1, samples.Count == 0 ? 1 : (samples[^1].At - startedAt).TotalSeconds);
        double X(DateTimeOffset at) => Left + ((at - startedAt).TotalSeconds / span * plotWidth);
        double Y(double ms) => Top + plotHeight - (Math.Min(ms, top) / top * plotHeight);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{Escape(title)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{Left}\" y=\"42\" fill=\"#555\">{samples.Count} samples, {samples.Count(s => !s.Ok)} failed; connect time (ms) of each sample since {startedAt:yyyy-MM-dd HH:mm:ss} UTC</text>\n");
        for (var i = 0; i <= 5; i++)
        {
            var value = top * i / 5;
            var y = Y(value);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Width - Right}\" y2=\"{y:0.#}\" stroke=\"#eee\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 8}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{value:0.##}</text>\n");
        }

        var step = TimeStep(span / 5);
        for (var i = 0; i * step <= span + 1e-9; i++)
        {
            var t = i * step;
            var x = Left + (t / span * plotWidth);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:0.#}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\">{TimeLabel(t, step)}</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Top + plotHeight}\" x2=\"{Width - Right}\" y2=\"{Top + plotHeight}\" stroke=\"#333\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + plotHeight}\" stroke=\"#333\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (plotWidth / 2)}\" y=\"{Height - 14}\" text-anchor=\"middle\">time since start</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(18 {Top + (plotHeight / 2)}) rotate(-90)\" text-anchor=\"middle\">connect time (ms)</text>\n");
        foreach (var (threshold, color, name) in new[] { (rule.Warning, "#e69500", "warning"), (rule.Critical, "#d62728", "critical") })
        {
            if (threshold.TotalMilliseconds <= top)
            {
                var y = Y(threshold.TotalMilliseconds);
                svg.Append(CultureInfo.InvariantCulture, $"<line class=\"threshold\" x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Width - Right}\" y2=\"{y:0.#}\" stroke=\"{color}\" stroke-dasharray=\"6 4\"/>\n");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right - 4}\" y=\"{y - 4:0.#}\" text-anchor=\"end\" fill=\"{color}\">{name} {threshold.TotalSeconds:0.##} s</text>\n");
            }
        }

        // One line per run of successive samples: a sample that ran past the next ticks leaves a gap (no diagonal across
        // time nothing was measured), and a bar shows how long it lasted.
        foreach (var run in Runs(ok, interval))
        {
            if (run.Count > 1)
            {
                svg.Append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"");
                svg.AppendJoin(' ', run.Select(s => string.Create(CultureInfo.InvariantCulture, $"{X(s.At):0.#},{Y(s.ConnectMs):0.#}")));
                svg.Append("\"/>\n");
            }
        }

        foreach (var sample in ok.Where(s => s.Connect > interval))
        {
            var y = Y(sample.ConnectMs);
            svg.Append(CultureInfo.InvariantCulture,
                $"<line class=\"duration\" x1=\"{X(sample.At):0.#}\" y1=\"{y:0.#}\" x2=\"{Math.Min(X(sample.At + sample.Connect), Width - Right):0.#}\" y2=\"{y:0.#}\" stroke=\"#1f77b4\" stroke-width=\"3\" opacity=\"0.4\"/>\n");
        }

        foreach (var sample in samples)
        {
            var x = X(sample.At);
            var y = sample.Ok ? Y(sample.ConnectMs) : Top + 6;
            var fill = sample.Ok ? "#1f77b4" : "#d62728";
            svg.Append(CultureInfo.InvariantCulture,
                $"<circle class=\"sample\" cx=\"{x:0.#}\" cy=\"{y:0.#}\" r=\"{(sample.Ok ? 3 : 5)}\" fill=\"{fill}\" data-at=\"{sample.At:O}\" data-connect-ms=\"{sample.ConnectMs:0.##}\" " +
                $"data-outcome=\"{sample.Outcome.ToString().ToLowerInvariant()}\"{(sample.FailureKind is { } kind ? $" data-kind=\"{HoldfastInstruments.KindTag(kind)}\"" : "")}>" +
                $"<title>{sample.At:HH:mm:ss} {(sample.Ok ? $"{sample.ConnectMs:0.##} ms" : sample.FailureKind?.ToString())}</title></circle>\n");
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Successive samples, split where more than one and a half intervals separate two of them.</summary>
    private static IEnumerable<List<MonitorSample>> Runs(List<MonitorSample> samples, TimeSpan interval)
    {
        var run = new List<MonitorSample>();
        foreach (var sample in samples)
        {
            if (run.Count > 0 && sample.At - run[^1].At > interval * 1.5)
            {
                yield return run;
                run = [];
            }

            run.Add(sample);
        }

        if (run.Count > 0)
        {
            yield return run;
        }
    }

    /// <summary>A round tick step in seconds at least <paramref name="rough"/>: 1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1 h...</summary>
    private static double TimeStep(double rough)
    {
        if (rough < 1)
        {
            return NiceCeiling(rough);
        }

        foreach (var step in new double[] { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600 })
        {
            if (step >= rough)
            {
                return step;
            }
        }

        return Math.Ceiling(rough / 3600) * 3600;
    }

    private static string TimeLabel(double seconds, double step) => step >= 60
        ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:0.#} min")
        : string.Create(CultureInfo.InvariantCulture, $"{seconds:0.#} s");

    private static double NiceCeiling(double value)
    {
        if (value <= 0)
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (step * magnitude >= value)
            {
                return step * magnitude;
            }
        }

        return 10 * magnitude;
    }

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
