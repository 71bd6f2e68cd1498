using Holdfast.Testing;

namespace Holdfast.Chaos;

/// <summary>One fault: how it is injected and healed against the rig's database and proxy. Returns when it is healed.</summary>
internal sealed record Fault(string Name, string Description, Func<LocalPostgres, FaultProxy, TimeSpan, Task> RunAsync)
{
    public static IReadOnlyList<Fault> All { get; } =
    [
        new("restart", "pg_ctl restart -m fast (the database is away for as long as a restart takes)",
            static (postgres, _, _) => postgres.RestartAsync()),
        new("stop-start", "pg_ctl stop -m fast, the chosen duration, then start",
            static async (postgres, _, duration) =>
            {
                await postgres.StopAsync(ShutdownMode.Fast).ConfigureAwait(false);
                await Task.Delay(duration).ConfigureAwait(false);
                await postgres.StartAsync().ConfigureAwait(false);
            }),
        new("blackhole", "the path goes silent for the chosen duration (new connects hang, open connections freeze), then heals",
            static async (_, proxy, duration) =>
            {
                proxy.Blackhole();
                await Task.Delay(duration).ConfigureAwait(false);
                proxy.Pass();
            }),
        new("reset-storm", "every open connection reset (TCP RST) every 250 ms for the chosen duration",
            static async (_, proxy, duration) =>
            {
                var until = DateTime.UtcNow + duration;
                while (DateTime.UtcNow < until)
                {
                    proxy.ResetOpenConnections();
                    await Task.Delay(250).ConfigureAwait(false);
                }
            }),
    ];
}
