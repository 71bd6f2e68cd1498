using System.Globalization;

namespace Holdfast.Fleet;

/// <summary>The options of <c>bench/fleet</c>, each bounded so a run always ends by itself.</summary>
internal sealed record FleetSettings(int Replicas, int MaxConnections, bool ThroughPgBouncer, bool Quick, int CallersPerReplica, string Output, IReadOnlyList<string> Faults)
{
    /// <summary>How long the database stays stopped, and how long the kill storm lasts.</summary>
    public TimeSpan StopDuration => Quick ? TimeSpan.FromSeconds(5) : TimeSpan.FromSeconds(15);

    public TimeSpan StormDuration => Quick ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(5);

    public TimeSpan Warmup => TimeSpan.FromSeconds(Quick ? 2 : 3);

    public TimeSpan ReadyLimit => TimeSpan.FromSeconds(60);

    public string Mode => ThroughPgBouncer ? "pgbouncer" : "direct";

    public static readonly IReadOnlyList<string> AllFaults = ["restart", "stop", "rolling-restart", "scale-up", "kill-storm"];

    public const string Usage = """
        bench/fleet [--replicas N] [--max-connections N] [--through-pgbouncer] [--quick] [--callers N] [--faults a,b] [--out FILE]
          --replicas           reference-service replicas (1-20, default 6; 3 with --quick)
          --max-connections    the server's max_connections (10-1000, default 40)
          --through-pgbouncer  replicas -> one PgBouncer in transaction mode -> the server
          --quick              3 replicas, a 5 s stop and a 3 s storm: under five minutes
          --callers            concurrent callers per replica (1-50, default 4)
          --faults             which faults, in order (default restart,stop,rolling-restart,scale-up,kill-storm)
          --out                the JSON results (default bench/fleet-results.json); entries of the other mode are kept
        """;

    /// <summary>Parses the arguments; a message saying what is wrong and how to fix it when they are not valid.</summary>
    public static (FleetSettings? Settings, string? Error) Parse(IReadOnlyList<string> args)
    {
        int? replicas = null;
        var maxConnections = 40;
        var pgbouncer = false;
        var quick = false;
        var callers = 4;
        var output = Path.Combine("bench", "fleet-results.json");
        var faults = AllFaults.ToList();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            switch (name)
            {
                case "-h" or "--help":
                    return (null, Usage);
                case "--through-pgbouncer":
                    pgbouncer = true;
                    continue;
                case "--quick":
                    quick = true;
                    continue;
            }

            if (i + 1 >= args.Count)
            {
                return (null, $"{name} needs a value\n{Usage}");
            }

            var value = args[++i];
            switch (name)
            {
                case "--replicas" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 20:
                    replicas = n;
                    break;
                case "--max-connections" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n is >= 10 and <= 1000:
                    maxConnections = n;
                    break;
                case "--callers" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 50:
                    callers = n;
                    break;
                case "--faults" when value.Split(',') is var names && names.All(AllFaults.Contains):
                    faults = [.. names];
                    break;
                case "--out":
                    output = value;
                    break;
                default:
                    return (null, $"{name} {value}: not a valid value\n{Usage}");
            }
        }

        return (new FleetSettings(replicas ?? (quick ? 3 : 6), maxConnections, pgbouncer, quick, callers, output, faults), null);
    }
}
