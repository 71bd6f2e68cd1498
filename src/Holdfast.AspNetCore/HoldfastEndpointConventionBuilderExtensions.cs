using Holdfast.AspNetCore.Http;
using Microsoft.AspNetCore.Http;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Marks endpoints that need the database.</summary>
public static class HoldfastEndpointConventionBuilderExtensions
{
    /// <summary>
    /// The endpoint needs the database: while start-up is not ready (starting, or degraded) or the circuit is open it
    /// answers 503 <c>application/problem+json</c> with <c>Retry-After</c> at once, without waiting on a dead path;
    /// an outage met while handling the request gets the same answer.
    /// </summary>
    /// <typeparam name="TBuilder">The builder type.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    public static TBuilder RequireDatabase<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddEndpointFilter(RequireDatabaseFilter.InvokeAsync);
    }
}
