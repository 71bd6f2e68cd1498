using Holdfast.Startup;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Holdfast.AspNetCore.Http;

/// <summary>
/// For endpoints that need the database: answers 503 at once, without touching the database, while start-up is not
/// ready or the circuit is open; turns an outage met while handling the request into the same 503.
/// </summary>
internal static class RequireDatabaseFilter
{
    public static async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var services = context.HttpContext.RequestServices;
        var startup = services.GetRequiredService<StartupOrchestrator>();
        var dataSource = services.GetRequiredService<HoldfastDataSource>();
        if (DatabaseProblem.Unavailable(startup, dataSource, dataSource.Options.TimeProvider) is { } unavailable)
        {
            return DatabaseProblem.Result(context.HttpContext, unavailable.Detail, unavailable.RetryAfter);
        }

        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (DatabaseProblem.From(ex) is not null)
        {
            var (detail, retryAfter) = DatabaseProblem.From(ex)!.Value;
            return DatabaseProblem.Result(context.HttpContext, detail, retryAfter);
        }
    }
}
