using Holdfast.AspNetCore.Health;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps Holdfast's endpoints.</summary>
public static class HoldfastEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>/health/live</c> (the process runs), <c>/health/ready</c> (started, circuit not open, database
    /// answering), <c>/health/startup</c> (the phases have run) and <c>/health</c> (JSON detail: environment, effective
    /// timeouts, phases, breaker, latency, pool use, last failure redacted, active alerts). 200 when healthy or
    /// degraded, 503 with <c>Retry-After</c> (seconds until the database is next tried) when unhealthy.
    /// </summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="prefix">The path prefix; <c>/health</c> by default.</param>
    /// <returns>The group, to add conventions (e.g. a host filter).</returns>
    public static RouteGroupBuilder MapHoldfastHealth(this IEndpointRouteBuilder endpoints, string prefix = "/health")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(prefix);
        group.MapHealthChecks("/live", Tagged(HoldfastHealthTags.Live));
        group.MapHealthChecks("/ready", Tagged(HoldfastHealthTags.Ready));
        group.MapHealthChecks("/startup", Tagged(HoldfastHealthTags.Startup));
        group.MapHealthChecks("", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(HoldfastHealthTags.All),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        });
        return group;
    }

    private static HealthCheckOptions Tagged(string tag) => new()
    {
        Predicate = r => r.Tags.Contains(tag),
        ResponseWriter = HealthRetryAfter.WritePlainAsync,
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = 200,
            [HealthStatus.Degraded] = 200,
            [HealthStatus.Unhealthy] = 503,
        },
    };
}
