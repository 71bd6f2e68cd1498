using Holdfast.AspNetCore.Http;
using Holdfast.Startup;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Holdfast.AspNetCore.Health;

/// <summary>
/// Every unhealthy health answer (503) says when to ask again: the next recovery probe of an open circuit, the next
/// reconnect of a degraded start-up, or, while the database merely failed its last probe, the probe cache's lifetime.
/// </summary>
internal static class HealthRetryAfter
{
    /// <summary>Sets <c>Retry-After</c> on an unhealthy answer.</summary>
    public static void Apply(HttpContext context, HealthReport report)
    {
        if (report.Status != HealthStatus.Unhealthy)
        {
            return;
        }

        var services = context.RequestServices;
        var dataSource = services.GetRequiredService<HoldfastDataSource>();
        var unavailable = DatabaseProblem.Unavailable(services.GetRequiredService<StartupOrchestrator>(), dataSource, dataSource.Options.TimeProvider);
        DatabaseProblem.SetRetryAfter(context, unavailable?.RetryAfter ?? TimeSpan.FromSeconds(1));
    }

    /// <summary>The plain-text answer of <c>/health/live</c>, <c>/ready</c> and <c>/startup</c> (the status word), with <c>Retry-After</c> when unhealthy.</summary>
    public static Task WritePlainAsync(HttpContext context, HealthReport report)
    {
        Apply(context, report);
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(report.Status.ToString(), context.RequestAborted);
    }
}
