using System.Collections.Concurrent;
using System.Net;
using Holdfast.Testing;
using ReferenceService.Tests.Support;

namespace ReferenceService.Tests;

/// <summary>
/// The reference service as a process while the server kills every one of its backends again and again (an administrator,
/// maintenance, a failover's clean-up): twenty-four callers signing in and reading notes get answers, never a 5xx, never
/// a 503 — the database is up the whole time.
/// </summary>
public sealed class ServerEndsConnectionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KillStorm_TwentyFourCallers_NoErrorAndNo503WhileTheServerIsUp()
    {
        await using var postgres = await LocalPostgres.CreateAsync(cancellationToken: Ct);
        await using var service = ServiceProcess.Start(new Dictionary<string, string> { ["DATABASE_URL"] = Api.Url(postgres) });
        await service.WaitForAsync("/health/ready");
        var email = $"kills-{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.Created, (await service.Http.SignUpAsync(email)).StatusCode);

        var statuses = new ConcurrentDictionary<string, int>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(6));
        var callers = Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = i % 2 == 0
                    ? await service.Http.SignInAsync(email)
                    : await service.Http.GetAsync(new Uri("/notes", UriKind.Relative), Ct);
                statuses.AddOrUpdate($"{(i % 2 == 0 ? "sign-in" : "notes")} {(int)response.StatusCode}", 1, (_, n) => n + 1);
            }
        }, Ct)).ToList();
        var kills = 0;
        while (!stop.IsCancellationRequested)
        {
            kills += await postgres.TerminateConnectionsAsync("reference-service", Ct);
            await Task.Delay(200, Ct);
        }

        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        var summary = string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")) + $"; {kills} backends killed";
        Assert.True(statuses.Keys.All(k => k.EndsWith(" 200", StringComparison.Ordinal)), summary);
        Assert.True(kills >= 15, summary);
        Assert.True(statuses.Values.Sum() >= 50, summary);
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
    }
}
