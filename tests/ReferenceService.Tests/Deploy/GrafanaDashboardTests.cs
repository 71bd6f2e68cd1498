using ReferenceService.Tests.Support;

namespace ReferenceService.Tests.Deploy;

/// <summary>
/// deploy/grafana/holdfast.json imports as is: its Prometheus data source is a variable (no <c>__inputs</c> to fill), every
/// panel and query uses it, its variables are the service, the replica and the pool, and it has the built-in dashboard's
/// views. That every metric it reads is exported, and that its queries evaluate, is proven against a real Prometheus in
/// <see cref="PrometheusTests"/>.
/// </summary>
public sealed class GrafanaDashboardTests
{
    private readonly GrafanaDashboard dashboard = GrafanaDashboard.Load();

    [Fact]
    public void ImportsAsIs_WithTheDataSourceAsAVariable_UsedByEveryPanelAndQuery()
    {
        var root = dashboard.Root;
        Assert.False(root.TryGetProperty("__inputs", out _), "an importable-as-is dashboard asks for nothing on import");
        Assert.Equal("holdfast", root.GetProperty("uid").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, root.GetProperty("id").ValueKind);
        var variables = root.GetProperty("templating").GetProperty("list").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!);
        Assert.Equal("datasource", variables["datasource"].GetProperty("type").GetString());
        Assert.Equal("prometheus", variables["datasource"].GetProperty("query").GetString());
        Assert.All(new[] { "job", "instance", "pool" }, name => Assert.Equal("${datasource}", variables[name].GetProperty("datasource").GetProperty("uid").GetString()));
        Assert.All(dashboard.Panels, panel =>
        {
            Assert.Equal("${datasource}", panel.Panel.GetProperty("datasource").GetProperty("uid").GetString());
            Assert.All(panel.Panel.GetProperty("targets").EnumerateArray(), target =>
                Assert.Equal("${datasource}", target.GetProperty("datasource").GetProperty("uid").GetString()));
        });
        var ids = root.GetProperty("panels").EnumerateArray().Select(p => p.GetProperty("id").GetInt32()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void HasTheBuiltInDashboardsViews()
    {
        var metrics = PrometheusTests.MetricNamesOf(dashboard.Expressions.Select(e => e.Expression));
        // Connect latency with its thresholds, circuit state, failures by kind, pool, readiness per replica, the fleet.
        Assert.All(new[]
        {
            "db_client_connection_create_time_seconds_bucket", "holdfast_alert_threshold_seconds", "holdfast_circuit_state",
            "holdfast_connection_failures_total", "db_client_connection_count", "db_client_connection_max", "db_client_connection_pending_requests",
            "holdfast_readiness", "holdfast_server_connection_limit", "db_client_connection_wait_time_seconds_bucket",
        }, name => Assert.Contains(name, metrics));
        Assert.Contains(dashboard.Expressions, e => e.Expression.Contains("holdfast_failure_kind", StringComparison.Ordinal) &&
                                                    e.Expression.StartsWith("sum by (holdfast_failure_kind)", StringComparison.Ordinal));
        Assert.Contains(dashboard.Expressions, e => e.Expression.Contains("by (instance) (holdfast_readiness", StringComparison.Ordinal));
    }
}
