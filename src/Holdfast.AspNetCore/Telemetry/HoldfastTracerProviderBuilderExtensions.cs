using Holdfast.Telemetry;
using Npgsql;

namespace OpenTelemetry.Trace;

/// <summary>Adds Holdfast's spans, and Npgsql's under them, to an OpenTelemetry tracer provider, whatever it exports to.</summary>
public static class HoldfastTracerProviderBuilderExtensions
{
    /// <summary>
    /// Subscribes the provider to the <c>Holdfast</c> source (a span per guarded open and <c>ExecuteAsync</c>, retries as
    /// events, the failure kind on a failed one) and to Npgsql's (a span per command, a child of Holdfast's). Add the
    /// ASP.NET Core instrumentation for request spans, which become their parents, and the exporter your platform reads
    /// (<c>.AddOtlpExporter()</c>).
    /// </summary>
    /// <param name="builder">The tracer provider builder, e.g. from <c>services.AddOpenTelemetry().WithTracing(...)</c>.</param>
    /// <returns>The builder.</returns>
    public static TracerProviderBuilder AddHoldfastInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(HoldfastTracing.SourceName).AddNpgsql();
    }
}
