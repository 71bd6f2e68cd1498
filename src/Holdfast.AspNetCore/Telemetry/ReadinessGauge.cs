using System.Diagnostics.Metrics;
using Holdfast.AspNetCore.Health;
using Holdfast.Startup;
using Holdfast.Telemetry;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Holdfast.AspNetCore.Telemetry;

/// <summary>
/// <c>holdfast.readiness</c> on the <c>Holdfast</c> meter: 1 while the instance would answer <c>/health/ready</c> with 200,
/// else 0, judged as the readiness check judges, from the start-up report, the circuit and the last completed probe. A
/// scrape never touches the database; a replica that flaps between ready and not shows as changes of this gauge.
/// <para>
/// And <c>holdfast.server.connection.limit</c>: the connections the server lets ordinary roles open, as the health probe
/// last read it, for the fleet-capacity alert (the sum of every replica's pool maximum against it). Not reported behind a
/// pooler, whose server side has limits of its own, nor before a probe has answered.
/// </para>
/// </summary>
internal sealed class ReadinessGauge
{
    public ReadinessGauge(HoldfastInstruments instruments, StartupOrchestrator startup, HoldfastDataSource dataSource, DatabaseProbe probe)
    {
        var source = new KeyValuePair<string, object?>(HoldfastInstruments.DataSourceTag, dataSource.Name);
        instruments.Meter.CreateObservableGauge("holdfast.readiness",
            () => new Measurement<int>(ReadinessCheck.Judge(startup.Report, dataSource.Status, probe.Last).Status == HealthStatus.Healthy ? 1 : 0, source),
            "{state}", "1 while the instance is ready (start-up done, circuit not open, the last probe answered), else 0.");
        instruments.Meter.CreateObservableGauge("holdfast.server.connection.limit",
            () => probe.ConnectionLimit is var limit and > 0 && dataSource.Pooler is not { Present: true } ? [new Measurement<int>(limit, source)] : Array.Empty<Measurement<int>>(),
            "{connection}", "max_connections less the reserved slots, as the health probe last read it; not reported behind a pooler.");
    }
}
