namespace Holdfast.Benchmarks;

/// <summary>One row of bench/results.json: the same measurement for the baseline and for Holdfast, side by side.</summary>
/// <param name="Name">The benchmark.</param>
/// <param name="Baseline">Raw Npgsql or plain Polly.</param>
/// <param name="Holdfast">Holdfast.</param>
/// <param name="Unit">The unit of both values.</param>
/// <param name="Ratio">Holdfast divided by the baseline.</param>
public sealed record BenchResult(string Name, double Baseline, double Holdfast, string Unit, double? Ratio)
{
    public static BenchResult Of(string name, double baseline, double holdfast, string unit) =>
        new(name, Math.Round(baseline, 3), Math.Round(holdfast, 3), unit, baseline == 0 ? null : Math.Round(holdfast / baseline, 4));
}
