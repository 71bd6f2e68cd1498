using System.Globalization;
using System.Text;

namespace Holdfast.Fleet;

/// <summary>The soak's samples as one self-contained SVG: four panels (heap after GC, RSS, server connections, p99) over time, faults marked.</summary>
internal static class SoakChart
{
    private const int Width = 900;
    private const int PanelHeight = 150;
    private const int Left = 70;
    private const int Right = 20;

    public static string Render(IReadOnlyList<Sample> samples, IReadOnlyList<(double Minute, string Name)> faults)
    {
        var panels = new (string Title, Func<Sample, double> Value, string Unit)[]
        {
            ("managed heap after GC", s => s.HeapMiB, "MiB"),
            ("RSS", s => s.RssMiB, "MiB"),
            ("server connections", s => s.ServerConnections, ""),
            ("p99 latency (10 s)", s => s.P99Ms, "ms"),
        };
        var height = (panels.Length * (PanelHeight + 40)) + 30;
        var maxMinute = Math.Max(1, samples.Count == 0 ? 1 : samples.Max(s => s.Minutes));
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" font-family="sans-serif" font-size="11">""").AppendLine();
        svg.AppendLine("""<rect width="100%" height="100%" fill="white"/>""");
        for (var p = 0; p < panels.Length; p++)
        {
            var (title, value, unit) = panels[p];
            var top = 20 + (p * (PanelHeight + 40));
            var points = samples.Select(s => (X: s.Minutes, Y: value(s))).Where(v => !double.IsNaN(v.Y) && v.Y >= 0).ToList();
            var max = points.Count == 0 ? 1 : Math.Max(1, points.Max(v => v.Y) * 1.1);
            double X(double minute) => Left + ((Width - Left - Right) * minute / maxMinute);
            double Y(double v) => top + PanelHeight - (PanelHeight * v / max);
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left}" y="{top - 5}" font-weight="bold">{title}{(unit.Length > 0 ? $" ({unit})" : "")}</text>""").AppendLine();
            svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{Left}" y="{top}" width="{Width - Left - Right}" height="{PanelHeight}" fill="none" stroke="#ccc"/>""").AppendLine();
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left - 5}" y="{top + 10}" text-anchor="end">{max:0.#}</text><text x="{Left - 5}" y="{top + PanelHeight}" text-anchor="end">0</text>""").AppendLine();
            foreach (var (minute, name) in faults)
            {
                svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{X(minute):0.#}" y1="{top}" x2="{X(minute):0.#}" y2="{top + PanelHeight}" stroke="#f4b183" stroke-dasharray="3,3"><title>{name}</title></line>""").AppendLine();
            }

            var line = string.Join(' ', points.Select(v => string.Create(CultureInfo.InvariantCulture, $"{X(v.X):0.#},{Y(v.Y):0.#}")));
            svg.Append(CultureInfo.InvariantCulture, $"""<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{line}"/>""").AppendLine();
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Width - Right}" y="{top + PanelHeight + 14}" text-anchor="end">{maxMinute:0} min</text>""").AppendLine();
        }

        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left}" y="{height - 8}" fill="#a0522d">dashed: a fault (restart, stop-start, blackhole, reset storm in turn)</text>""").AppendLine();
        svg.AppendLine("</svg>");
        return svg.ToString();
    }
}
