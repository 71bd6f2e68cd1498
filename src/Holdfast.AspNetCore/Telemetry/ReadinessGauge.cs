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
/// </summary>
internal sealed class ReadinessGauge
{
    public ReadinessGauge(HoldfastInstruments instruments, StartupOrchestrator startup, HoldfastDataSource dataSource, DatabaseProbe probe) =>
        instruments.Meter.CreateObservableGauge("holdfast.readiness",
            () => new Measurement<int>(
                ReadinessCheck.Judge(startup.Report, dataSource.Status, probe.Last).Status == HealthStatus.Healthy ? 1 : 0,
                new KeyValuePair<string, object?>(HoldfastInstruments.DataSourceTag, dataSource.Name)),
            "{state}", "1 while the instance is ready (start-up done, circuit not open, the last probe answered), else 0.");
}
