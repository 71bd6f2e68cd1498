using System.Text.Json;
using System.Text.Json.Serialization;
using Holdfast.Startup;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Holdfast.AspNetCore.Health;

/// <summary>Writes <c>/health</c> as <see cref="HealthDocument"/> JSON.</summary>
internal static class HealthResponseWriter
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        var services = context.RequestServices;
        var probe = services.GetRequiredService<DatabaseProbe>();
        var document = HealthDocument.Create(report.Status.ToString(),
            report.Entries.ToDictionary(e => e.Key, e => $"{e.Value.Status}: {e.Value.Description}"),
            services.GetRequiredService<StartupOrchestrator>(), services.GetRequiredService<HoldfastDataSource>(), probe.Last);
        HealthRetryAfter.Apply(context, report);
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, document, Json, context.RequestAborted).ConfigureAwait(false);
    }
}
