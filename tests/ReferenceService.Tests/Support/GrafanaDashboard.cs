using System.Text.Json;

namespace ReferenceService.Tests.Support;

/// <summary>deploy/grafana/holdfast.json, read as Grafana reads it on import.</summary>
internal sealed class GrafanaDashboard(JsonElement root)
{
    public JsonElement Root { get; } = root;

    /// <summary>Every panel (rows aside) with its title.</summary>
    public IReadOnlyList<(string Title, JsonElement Panel)> Panels =>
        [.. Root.GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row").Select(p => (p.GetProperty("title").GetString()!, p))];

    /// <summary>Every query of every panel, with the panel's title.</summary>
    public IReadOnlyList<(string Panel, string Expression)> Expressions =>
        [.. Panels.SelectMany(p => p.Panel.GetProperty("targets").EnumerateArray().Select(t => (p.Title, t.GetProperty("expr").GetString()!)))];

    public static GrafanaDashboard Load()
    {
        var path = Path.Combine(PrometheusServer.RepositoryRoot(), "deploy", "grafana", "holdfast.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return new GrafanaDashboard(document.RootElement.Clone());
    }

    /// <summary>An expression as Grafana sends it with every variable on "All" and a one-minute rate interval.</summary>
    public static string WithAllSelected(string expression) => expression
        .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
        .Replace("$job", ".*", StringComparison.Ordinal)
        .Replace("$instance", ".*", StringComparison.Ordinal)
        .Replace("$pool", ".*", StringComparison.Ordinal);
}
