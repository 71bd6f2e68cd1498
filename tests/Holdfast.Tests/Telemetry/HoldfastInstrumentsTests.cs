using System.Diagnostics.Metrics;
using Holdfast.Telemetry;
using Holdfast.Tests.Resilience;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Polly;

namespace Holdfast.Tests.Telemetry;

[Collection(Resilience.FakeClockCollection.Name)]
public sealed class HoldfastInstrumentsTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Pipeline_ReportsFailuresRetriesRejectionsAndCircuitStateByKind()
    {
        await using var harness = new PipelineHarness();
        using var recorder = new Recorder(harness.Meter);

        var run = await harness.RunAsync(_ => new ValueTask<Outcome<int>>(Outcome.FromException<int>(PipelineHarness.Refused())));
        harness.Guard.Surface(run.Outcome.Exception!, run.Context, CancellationToken.None);
        recorder.Listener.RecordObservableInstruments();

        Assert.Equal(5, recorder.Sum("holdfast.connection.failures", "holdfast.failure.kind", "refused"));
        Assert.Equal(5, recorder.Sum("holdfast.connection.retries", "holdfast.failure.kind", "refused"));
        Assert.Equal(1, recorder.Sum("holdfast.connection.rejections"));
        Assert.Equal((int)CircuitState.Open, recorder.Last("holdfast.circuit.state"));
        Assert.Equal(1, recorder.Sum("holdfast.circuit.opens"));
        // The call ended refused by the circuit it opened, not by its budget.
        Assert.Equal(0, recorder.Sum("holdfast.budget.exhausted"));
        Assert.All(recorder.Measurements, m => Assert.Contains(m.Tags, t =>
            t.Key is HoldfastInstruments.DataSourceTag or HoldfastInstruments.PoolNameTag && (string?)t.Value == "harness"));
    }

    [Fact]
    public void KindTag_IsSnakeCase()
    {
        Assert.Equal("too_many_connections", HoldfastInstruments.KindTag(Holdfast.FailureKind.TooManyConnections));
        Assert.Equal("timeout", HoldfastInstruments.KindTag(Holdfast.FailureKind.Timeout));
    }

    [Fact]
    public async Task RealDataSource_MeasurementsReachOpenTelemetry()
    {
        var exported = new List<Metric>();
        using (var provider = Sdk.CreateMeterProviderBuilder().AddMeter(HoldfastInstruments.MeterName).AddInMemoryExporter(exported).Build())
        {
            var app = GuardedSources.NewApplicationName("otel");
            await using var db = GuardedSources.Create(fixture.Postgres, app);
            await using (var connection = await db.OpenConnectionAsync(TestContext.Current.CancellationToken))
            {
            }

            provider.ForceFlush();
        }

        var names = exported.Select(m => m.Name).ToHashSet();
        Assert.Contains("db.client.connection.wait_time", names);
        Assert.Contains("db.client.connection.create_time", names);
        Assert.Contains("db.client.connection.pending_requests", names);
        Assert.Contains("holdfast.circuit.state", names);
    }

    private sealed record Measurement(string Instrument, double Value, KeyValuePair<string, object?>[] Tags);

    private sealed class Recorder : IDisposable
    {
        public Recorder(Meter meter)
        {
            Listener.InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            Listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i.Name, v, t));
            Listener.SetMeasurementEventCallback<int>((i, v, t, _) => Add(i.Name, v, t));
            Listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i.Name, v, t));
            Listener.Start();
        }

        public MeterListener Listener { get; } = new();

        public List<Measurement> Measurements { get; } = [];

        public double Sum(string instrument, string? tag = null, string? value = null) => Measurements
            .Where(m => m.Instrument == instrument && (tag is null || m.Tags.Any(t => t.Key == tag && (string?)t.Value == value)))
            .Sum(m => m.Value);

        public double Last(string instrument) => Measurements.Last(m => m.Instrument == instrument).Value;

        public void Dispose() => Listener.Dispose();

        private void Add(string instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            lock (Measurements)
            {
                Measurements.Add(new Measurement(instrument, value, tags.ToArray()));
            }
        }
    }
}
