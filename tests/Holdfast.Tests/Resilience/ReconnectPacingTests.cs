using Holdfast.Resilience;
using Holdfast.Testing;

namespace Holdfast.Tests.Resilience;

/// <summary>
/// Reconnect pacing with forty callers on a real server: while the path fails, one connect attempt per 100 ms from the
/// instance however many callers wait; when it answers again, the pool refills through a slow start and service is back
/// within a second. Attempts are counted where they arrive: at the proxy in front of the server.
/// </summary>
public sealed class ReconnectPacingTests(PostgresFixture fixture)
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(100);
    private readonly LocalPostgres postgres = fixture.Postgres;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PathFailsForTwoSeconds_FortyCallers_AtMostOneAttemptPer100ms_UntilItAnswers_ThenServedWithinASecond()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        var app = GuardedSources.NewApplicationName("pacing");
        var db = GuardedSources.Create(postgres, app, proxy.Port, configure: o =>
        {
            o.OperationBudget = TimeSpan.FromSeconds(5);
            o.AttemptTimeout.FirstAttempt = TimeSpan.FromSeconds(2);
        }, npgsql: s => s.MaxPoolSize = 20);
        await using var load = CallLoad.Start(db, callers: 40);
        await load.WarmAsync();
        var origin = DateTimeOffset.UtcNow - load.Now;

        // The server "refuses at the door": every connection ends at once, open ones included (they are reset).
        var faultAt = load.Now;
        proxy.Reset();
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        var openedAt = db.Status.OpenedAt;
        Assert.True(openedAt > origin + faultAt, "the circuit opened during the outage");
        var acceptsWhileOpen = proxy.AcceptTimes.Count(t => t >= openedAt + Window);
        var openFor = DateTimeOffset.UtcNow - openedAt!.Value;
        proxy.Pass();
        var healedAt = load.Now;
        var recovered = await load.FirstSuccessAfterAsync(healedAt, TimeSpan.FromSeconds(5));
        await load.StopAsync();

        // The callers' own failing attempts open the circuit; from then on the instance is paced, up to the first attempt
        // after the heal, which succeeds (the slow start's opens come after it). The connects already under way when it
        // opened (Npgsql's pool had them) still arrive in the next few milliseconds: a grace of one window.
        var firstSuccess = proxy.AcceptTimes.First(t => t >= origin + healedAt);
        var paced = proxy.MaxAcceptsWithin(Window, openedAt.Value + Window, firstSuccess);
        Assert.True(paced <= 1, $"{paced} connect attempts within 100 ms while the circuit was open (40 callers): {Timeline(proxy, origin, faultAt)}");
        var allowed = (int)(openFor / db.Options.Recovery.AttemptSpacing) + 1;
        Assert.True(acceptsWhileOpen <= allowed, $"{acceptsWhileOpen} connect attempts in {openFor.TotalSeconds:0.00} s with the circuit open: pacing allows {allowed}");
        Assert.True(recovered - healedAt < TimeSpan.FromSeconds(1.5), $"served again {(recovered - healedAt).TotalSeconds:0.000} s after the heal");
        Assert.Empty(load.Unexpected());
        await GuardedSources.AssertNothingLeakedAsync(db, postgres, app);
    }

    [Fact]
    public async Task AfterTheReturn_TheWindowGrows_SoThePoolRefillsWithoutAHerd_AndThePacerEndsOff()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        var app = GuardedSources.NewApplicationName("slow-start");
        var db = GuardedSources.Create(postgres, app, proxy.Port, configure: o => o.OperationBudget = TimeSpan.FromSeconds(5),
            npgsql: s => s.MaxPoolSize = 16);
        await using var load = CallLoad.Start(db, callers: 32);
        await load.WarmAsync();

        proxy.Reset();
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        Assert.Equal(PacerMode.Probing, db.Pacer!.Mode);
        proxy.Pass();
        var healedAt = load.Now;
        await load.FirstSuccessAfterAsync(healedAt, TimeSpan.FromSeconds(5));
        await GuardedSources.EventuallyAsync(() => Task.FromResult(db.Pacer.Mode == PacerMode.Off), TimeSpan.FromSeconds(5),
            () => $"the pacer is still {db.Pacer.Mode} five seconds after the return");
        await load.StopAsync();

        Assert.Empty(load.Unexpected());
        Assert.True(load.Successes > 0);
        await GuardedSources.AssertNothingLeakedAsync(db, postgres, app);
    }

    [Fact]
    public void Lifetimes_GetTenPercentJitter_SoAFleetDoesNotRecycleInStep()
    {
        var seen = new HashSet<int>();
        foreach (var random in new[] { 0.0, 0.5, 0.999 })
        {
            var settings = new Npgsql.NpgsqlConnectionStringBuilder { ConnectionLifetime = 1800, ConnectionIdleLifetime = 300, ConnectionPruningInterval = 10 };
            HoldfastDataSource.JitterLifetimes(settings, () => random);
            Assert.InRange(settings.ConnectionLifetime, 1620, 1980);
            Assert.InRange(settings.ConnectionIdleLifetime, 270, 330);
            Assert.InRange(settings.ConnectionPruningInterval, 9, 11);
            seen.Add(settings.ConnectionIdleLifetime);
        }

        Assert.Equal(3, seen.Count);
        var infinite = new Npgsql.NpgsqlConnectionStringBuilder { ConnectionLifetime = 0 };
        HoldfastDataSource.JitterLifetimes(infinite, () => 0.7);
        Assert.Equal(0, infinite.ConnectionLifetime);
    }

    private static string Timeline(FaultProxy proxy, DateTimeOffset origin, TimeSpan faultAt) =>
        string.Join(", ", proxy.AcceptTimes.Where(t => t >= origin + faultAt).Select(t => $"{(t - origin - faultAt).TotalMilliseconds:0}"));
}
