using System.ComponentModel.DataAnnotations;
using Holdfast.AspNetCore;
using Holdfast.AspNetCore.Dashboard;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps Holdfast's live dashboard.</summary>
public static class HoldfastDashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the live connectivity dashboard at <paramref name="pattern"/> (<c>/holdfast</c> by default): one
    /// self-contained page (no CDN, a strict Content-Security-Policy) that shows the verdict, the start-up phases
    /// against their budgets, latency and pool use over time, effective timeouts, hosts and alerts, refreshed every
    /// second from <c>{pattern}/api/state</c> (JSON, documented for other tools). Local requests only, unless
    /// <see cref="HoldfastDashboardOptions.AuthorizationPolicy"/> names a policy. Needs <c>AddHoldfast</c>.
    /// </summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="pattern">The path of the page; its script, style and JSON are below it.</param>
    /// <param name="configure">Sets the access policy and the refresh interval.</param>
    /// <returns>The group, to add conventions (e.g. <c>RequireHost</c>, or <c>RequireAuthorization</c>, which also lifts the local-only rule).</returns>
    /// <exception cref="ValidationException">An option is out of range.</exception>
    /// <exception cref="InvalidOperationException"><c>AddHoldfast</c> was not called.</exception>
    public static RouteGroupBuilder MapHoldfastDashboard(this IEndpointRouteBuilder endpoints, string pattern = "/holdfast",
        Action<HoldfastDashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        var options = new HoldfastDashboardOptions();
        configure?.Invoke(options);
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);

        (endpoints.ServiceProvider.GetService<DashboardRegistration>()
            ?? throw new InvalidOperationException("MapHoldfastDashboard needs Holdfast's services: call builder.Services.AddHoldfast(builder.Configuration) first.")).MarkMapped();
        var path = "/" + pattern.Trim('/');
        var group = endpoints.MapGroup(path);
        group.AddEndpointFilter(static (context, next) =>
        {
            var headers = context.HttpContext.Response.Headers;
            headers.ContentSecurityPolicy = DashboardAssets.ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            return next(context);
        });
        group.AddEndpointFilter(new DashboardAccess());
        if (options.AuthorizationPolicy is { } policy)
        {
            group.RequireAuthorization(policy);
        }

        group.MapGet("", (HttpContext http) => Results.Content(
                DashboardAssets.PageFor($"{http.Request.PathBase}{path}", options.RefreshInterval), "text/html; charset=utf-8"))
            .ExcludeFromDescription();
        group.MapGet("/dashboard.js", () => Results.Text(DashboardAssets.Script, "text/javascript; charset=utf-8")).ExcludeFromDescription();
        group.MapGet("/dashboard.css", () => Results.Text(DashboardAssets.Style, "text/css; charset=utf-8")).ExcludeFromDescription();
        group.MapGet("/favicon.svg", () => Results.Text(DashboardAssets.Icon, "image/svg+xml")).ExcludeFromDescription();
        group.MapGet("/api/state", (HttpContext http) => DashboardState.WriteAsync(http)).ExcludeFromDescription();
        return group;
    }
}
