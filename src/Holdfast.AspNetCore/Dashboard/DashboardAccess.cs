using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

namespace Holdfast.AspNetCore.Dashboard;

/// <summary>
/// Without an authorization policy on the endpoint, the dashboard answers local requests only, as Hangfire's does. A
/// request that carries a forwarding header came through a proxy and is not local, whatever address the proxy has.
/// </summary>
internal sealed class DashboardAccess : IEndpointFilter
{
    public const string Refusal =
        "The Holdfast dashboard answers local requests only. To open it from elsewhere, name an authorization policy " +
        "that admits operators: app.MapHoldfastDashboard(configure: o => o.AuthorizationPolicy = \"operators\").";

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.GetEndpoint()?.Metadata.GetMetadata<IAuthorizeData>() is not null || IsLocal(http))
        {
            return next(context);
        }

        return ValueTask.FromResult<object?>(Results.Text(Refusal, "text/plain; charset=utf-8", statusCode: StatusCodes.Status403Forbidden));
    }

    public static bool IsLocal(HttpContext http)
    {
        var headers = http.Request.Headers;
        if (headers.ContainsKey("X-Forwarded-For") || headers.ContainsKey("Forwarded"))
        {
            return false;
        }

        var remote = http.Connection.RemoteIpAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : http.Connection.RemoteIpAddress;
        var local = http.Connection.LocalIpAddress is { IsIPv4MappedToIPv6: true } localMapped ? localMapped.MapToIPv4() : http.Connection.LocalIpAddress;
        return remote is not null && (IPAddress.IsLoopback(remote) || remote.Equals(local));
    }
}
