using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

namespace Holdfast.AspNetCore.Dashboard;

/// <summary>
/// Without an authorization policy on the endpoint, the dashboard answers local requests only, as Hangfire's does: from a
/// loopback address or the server's own, addressed to a local host name (so a page elsewhere cannot rebind its domain to
/// 127.0.0.1 and read it), and carrying no header a proxy adds (a proxy on the same host would otherwise make every
/// caller local; with <c>UseForwardedHeaders</c>, the <c>X-Original-*</c> headers it leaves count too). A policy lifts the
/// rule only where the authorization middleware will apply it: not under <c>AllowAnonymous</c>.
/// </summary>
internal sealed class DashboardAccess : IEndpointFilter
{
    public const string Refusal =
        "The Holdfast dashboard answers local requests only. To open it from elsewhere, name an authorization policy " +
        "that admits operators: app.MapHoldfastDashboard(configure: o => o.AuthorizationPolicy = \"operators\").";

    /// <summary>Headers that say a proxy handled the request (the ASP.NET Core forwarded-headers middleware leaves the X-Original ones).</summary>
    private static readonly string[] ProxyHeaders =
    [
        "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "X-Real-IP", "Via",
        "X-Forwarded-Client-Cert", "X-Original-For", "X-Original-Host", "X-Original-Proto", "X-Original-Prefix",
    ];

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var metadata = http.GetEndpoint()?.Metadata;
        var authorized = metadata?.GetMetadata<IAuthorizeData>() is not null && metadata.GetMetadata<IAllowAnonymous>() is null;
        if (authorized || IsLocal(http))
        {
            return next(context);
        }

        return ValueTask.FromResult<object?>(Results.Text(Refusal, "text/plain; charset=utf-8", statusCode: StatusCodes.Status403Forbidden));
    }

    public static bool IsLocal(HttpContext http)
    {
        var headers = http.Request.Headers;
        if (ProxyHeaders.Any(headers.ContainsKey))
        {
            return false;
        }

        var remote = Plain(http.Connection.RemoteIpAddress);
        var local = Plain(http.Connection.LocalIpAddress);
        if (remote is null || !(IPAddress.IsLoopback(remote) || remote.Equals(local)))
        {
            return false;
        }

        var host = http.Request.Host.Host;
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase) ||
               (IPAddress.TryParse(host.Trim('[', ']'), out var address) && (IPAddress.IsLoopback(Plain(address)!) || Plain(address)!.Equals(local)));
    }

    private static IPAddress? Plain(IPAddress? address) => address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
}
