using CsCheck;
using Holdfast.Cli.Common;

namespace Holdfast.Cli.Tests;

/// <summary>
/// Generated command lines (CsCheck) for the commands that need no database — plan, simulate, validate with a connection
/// — run in-process: whatever the options, exit 0 or 2 (never 1, "a bug in holdfast"), no stack trace, no password.
/// </summary>
public sealed class CliPropertyTests
{
    private const string Marker = "Zq9pw";

    private static readonly Gen<string> Number = Gen.OneOf(Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.Const("2147483647"), Gen.Const("-1"), Gen.Const("0"), Gen.Const("1e9"), Gen.Const("0.8"), Gen.Const("NaN"), Gen.Const(""), Gen.Const("x"));

    private static readonly Gen<string> Duration = Gen.OneOf(Number, Number.Select(n => n + "ms"), Number.Select(n => n + "s"), Number.Select(n => n + "h"),
        Gen.Const("99999h"), Gen.Const("00:00:01"));

    private static readonly Gen<string> Url = Gen.Select(
        Gen.OneOf(Gen.Const("postgres"), Gen.Const("postgresql+asyncpg"), Gen.Const("postgresql+foo"), Gen.Const("http")),
        Gen.Char["abc@:/?#%+=&[]. 0123"].Array[0, 10].Select(c => new string(c)),
        Gen.Char["abc@:/?#%+=&[]. 0123"].Array[0, 10].Select(c => new string(c)),
        (scheme, before, after) => $"{scheme}://app:{Marker}{before}@{after}");

    private static readonly Gen<string[]> Plan = Gen.Select(Number, Number, Number, Number, Number,
        (max, instances, reserved, overlap, poolerSize) =>
            new[] { "plan", "--max-connections", max, "--instances", instances, "--reserved", reserved, "--rollout-overlap", overlap, "--pooler-pool-size", poolerSize }
                .Where(a => a.Length > 0).ToArray());

    private static readonly Gen<string[]> Simulate = Gen.Select(
        Gen.OneOf(Gen.Const("staging"), Gen.Const("production"), Gen.Const("prod"), Gen.Const("bogus")),
        Gen.OneOf(Gen.Const("timeout,refused"), Gen.Const("failover"), Gen.Const("not_postgres"), Gen.Const("bogus"), Gen.Const("")),
        Duration,
        (environment, failures, p95) => new[] { "simulate", "--environment", environment, "--failures", failures, "--measured-p95", p95 }
            .Where(a => a.Length > 0).ToArray());

    private static readonly Gen<string[]> Validate = Gen.Select(Url, Gen.OneOf(Gen.Const("staging"), Gen.Const("development")),
        (url, environment) => new[] { "validate", "--connection", url, "--environment", environment });

    [Fact]
    public void AnyCommandLine_ExitsZeroOrTwo_WithoutAStackTraceOrThePassword()
    {
        Gen.OneOf(Plan, Simulate, Validate).Sample(arguments =>
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var exit = HoldfastCli.RunAsync(arguments, new CliConsole(output, error)).GetAwaiter().GetResult();
            var all = output + error.ToString();

            Assert.True(exit is 0 or 2, $"exit {exit} for {string.Join(' ', arguments)}:\n{all}");
            Assert.DoesNotContain("   at ", all, StringComparison.Ordinal);
            Assert.DoesNotContain("internal error", all, StringComparison.Ordinal);
            Assert.DoesNotContain(Marker, all, StringComparison.Ordinal);
        }, iter: 400, threads: 1, print: a => string.Join(' ', a));
    }
}
