using System.Diagnostics.Metrics;
using Holdfast.Telemetry;

namespace Holdfast.Cli.Monitor;

/// <summary>
/// Counts the retries one data source makes, from the <c>holdfast.connection.retries</c> counter of the Holdfast meter,
/// so a sample that succeeded on a later attempt says so. Samples run one at a time, so the count taken around a
/// sample is that sample's.
/// </summary>
internal sealed class RetryCounter : IDisposable
{
    private const string InstrumentName = "holdfast.connection.retries";
    private readonly MeterListener listener = new();
    private readonly string dataSource;
    private long retries;

    public RetryCounter(string dataSource)
    {
        this.dataSource = dataSource;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == HoldfastInstruments.MeterName && instrument.Name == InstrumentName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>(OnMeasurement);
        listener.Start();
    }

    /// <summary>Retries seen so far.</summary>
    public long Count => Interlocked.Read(ref retries);

    public void Dispose() => listener.Dispose();

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == HoldfastInstruments.DataSourceTag && Equals(tag.Value, dataSource))
            {
                Interlocked.Add(ref retries, value);
                return;
            }
        }
    }
}
