using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Holdfast.Testing;
using ReferenceService.Tests.Support;

namespace ReferenceService.Tests;

/// <summary>A database restart under a bounded stream of sign-ins: no hang, ready again quickly, nothing leaked.</summary>
public sealed class DatabaseRestartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Restart_UnderSignIns_NoRequestHangs_ReadyWithinTwoSeconds_NoConnectionLeaks()
    {
        await using var postgres = await LocalPostgres.CreateAsync(cancellationToken: Ct);
        await using var service = ServiceProcess.Start(new Dictionary<string, string> { ["DATABASE_URL"] = Api.Url(postgres) });
        await service.WaitForAsync("/health/ready");
        var email = $"restart-{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.Created, (await service.Http.SignUpAsync(email)).StatusCode);

        var outcomes = new ConcurrentBag<(HttpStatusCode Status, TimeSpan Took)>();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 40 && !stop.IsCancellationRequested; i++)
            {
                var watch = Stopwatch.StartNew();
                using var response = await service.Http.SignInAsync(email);
                outcomes.Add((response.StatusCode, watch.Elapsed));
                await Task.Delay(50, Ct);
            }
        }, Ct)).ToArray();

        await Task.Delay(500, Ct);
        await postgres.StopAsync(ShutdownMode.Fast, Ct);
        await Task.Delay(1000, Ct);
        await postgres.StartAsync(Ct);
        var accepting = Stopwatch.StartNew();
        await service.WaitForAsync("/health/ready", within: TimeSpan.FromSeconds(10));
        var readyAfter = accepting.Elapsed;

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(90), Ct);

        Assert.True(readyAfter < TimeSpan.FromSeconds(2), $"ready {readyAfter.TotalSeconds:0.00} s after the database accepted connections");
        Assert.All(outcomes, o => Assert.Contains(o.Status, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable }));
        Assert.All(outcomes, o => Assert.True(o.Took < TimeSpan.FromSeconds(32), $"a sign-in took {o.Took.TotalSeconds:0.0} s, past the open budget"));
        Assert.Contains(outcomes, o => o.Status == HttpStatusCode.OK);
        await AssertNothingLeakedAsync(service, postgres);
    }

    /// <summary>No connection is rented, and every connection the server has for the service belongs to its pool.</summary>
    private static async Task AssertNothingLeakedAsync(ServiceProcess service, LocalPostgres postgres)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var health = await service.Http.HealthAsync();
            var pool = health.RootElement.GetProperty("pool");
            var busy = pool.GetProperty("busy").GetInt32();
            var idle = pool.GetProperty("idle").GetInt32();
            var onServer = await postgres.CountConnectionsAsync("reference-service", Ct);
            if (busy == 0 && onServer == idle)
            {
                return;
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), $"busy {busy}, idle {idle}, on the server {onServer}");
            await Task.Delay(100, Ct);
        }
    }
}
