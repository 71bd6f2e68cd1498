namespace Holdfast.Benchmarks;

/// <summary>How long each measurement runs: --quick for a run under five minutes, the default for steadier numbers.</summary>
public sealed record BenchSettings(bool Quick, TimeSpan ThroughputDuration, int ThroughputRounds, TimeSpan NaiveBudget, TimeSpan RawConnectTimeout, int Rejections)
{
    public static BenchSettings From(string[] args) => args.Contains("--quick")
        ? new BenchSettings(true, TimeSpan.FromSeconds(3), 2, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), 2_000)
        : new BenchSettings(false, TimeSpan.FromSeconds(10), 4, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(15), 20_000);
}
