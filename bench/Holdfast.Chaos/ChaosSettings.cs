using System.Globalization;

namespace Holdfast.Chaos;

/// <summary>The options of <c>bench/chaos</c>, each bounded so a run always ends by itself.</summary>
internal sealed record ChaosSettings(int Concurrency, TimeSpan Duration, string Environment, string Output, IReadOnlyList<string> Faults)
{
    public TimeSpan Warmup { get; } = TimeSpan.FromSeconds(3);

    public TimeSpan RecoveryLimit { get; } = TimeSpan.FromSeconds(60);

    public TimeSpan SettleLimit { get; } = TimeSpan.FromSeconds(60);

    public const string Usage = """
        bench/chaos [--concurrency N] [--duration SECONDS] [--environment NAME] [--faults a,b] [--out FILE]
          --concurrency   callers signing in and reading /me at once (1-200, default 24)
          --duration      how long the stop, blackhole and reset faults last (1-120 s, default 15)
          --environment   the service's environment: development, staging or production (default staging)
          --faults        which faults, in order (default restart,stop-start,blackhole,reset-storm)
          --out           the JSON results (default bench/chaos-results.json)
        """;

    /// <summary>Parses the arguments; a message saying what is wrong and how to fix it when they are not valid.</summary>
    public static (ChaosSettings? Settings, string? Error) Parse(IReadOnlyList<string> args)
    {
        var concurrency = 24;
        var duration = 15.0;
        var environment = "staging";
        var output = Path.Combine("bench", "chaos-results.json");
        var faults = Fault.All.Select(f => f.Name).ToList();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                return (null, Usage);
            }

            if (i + 1 >= args.Count)
            {
                return (null, $"{name} needs a value\n{Usage}");
            }

            var value = args[++i];
            switch (name)
            {
                case "--concurrency" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 200:
                    concurrency = n;
                    break;
                case "--duration" when double.TryParse(value.TrimEnd('s'), CultureInfo.InvariantCulture, out var s) && s is >= 1 and <= 120:
                    duration = s;
                    break;
                case "--environment" when value is "development" or "staging" or "production":
                    environment = value;
                    break;
                case "--faults" when value.Split(',') is var names && names.All(n => Fault.All.Any(f => f.Name == n)):
                    faults = [.. names];
                    break;
                case "--out":
                    output = value;
                    break;
                default:
                    return (null, $"{name} {value}: not a valid value\n{Usage}");
            }
        }

        return (new ChaosSettings(concurrency, TimeSpan.FromSeconds(duration), environment, output, faults), null);
    }
}
