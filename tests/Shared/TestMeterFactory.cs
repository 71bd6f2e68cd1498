using System.Diagnostics.Metrics;

namespace Holdfast.Tests.Shared;

/// <summary>A meter factory of a test's own: its meters are heard only by that test's listeners, and disposed with it.</summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> created = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options);
        created.Add(meter);
        return meter;
    }

    public void Dispose() => created.ForEach(m => m.Dispose());
}
