using Holdfast.Telemetry;

namespace OpenTelemetry.Metrics;

/// <summary>Adds Holdfast's instruments to an OpenTelemetry meter provider, whatever it exports to.</summary>
public static class HoldfastMeterProviderBuilderExtensions
{
    /// <summary>The meters Holdfast's guarded access reports to: Holdfast's own, Npgsql's (pool use, commands) and Polly's (retries, breaker).</summary>
    public static IReadOnlyList<string> MeterNames { get; } = [HoldfastInstruments.MeterName, "Npgsql", "Polly"];

    /// <summary>
    /// Subscribes the provider to Holdfast's, Npgsql's and Polly's meters. Add the exporter your platform reads:
    /// <c>.AddOtlpExporter()</c> (Cloud Run, most clusters) or <c>.AddPrometheusExporter()</c> for a <c>/metrics</c> page.
    /// </summary>
    /// <param name="builder">The meter provider builder, e.g. from <c>services.AddOpenTelemetry().WithMetrics(...)</c>.</param>
    /// <returns>The builder.</returns>
    public static MeterProviderBuilder AddHoldfastInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter([.. MeterNames]);
    }
}
