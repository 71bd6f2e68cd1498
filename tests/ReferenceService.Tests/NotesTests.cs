using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Holdfast.Testing;
using ReferenceService.Tests.Support;

namespace ReferenceService.Tests;

/// <summary>The reference service's EF Core path (notes), as a process: migrations at start-up, 503 while the database is away.</summary>
public sealed class NotesTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Notes_ThroughEfCore_WorkAfterTheMigrations_Are503WithRetryAfterWhileRefused_AndServeAgainAfterTheHeal()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        // Development: a 5 s operation budget. One caller retries a refused database within it (the circuit opens after
        // five failures in a row); once the circuit is open, every call is refused at once.
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["DATABASE_URL"] = Api.Url(postgres, port: proxy.Port),
            ["HOLDFAST_ENVIRONMENT"] = "development",
        });
        await service.WaitForAsync("/health/ready");
        var text = $"note {Guid.NewGuid():N}";

        using (var created = await service.Http.PostAsJsonAsync("/notes", new { text }, Ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        Assert.Contains(text, await service.Http.GetStringAsync("/notes", Ct), StringComparison.Ordinal);

        proxy.Refuse();
        proxy.ResetOpenConnections();
        var refusedAt = TimeProvider.System.GetTimestamp();
        HttpResponseMessage? unavailable = null;
        while (TimeProvider.System.GetElapsedTime(refusedAt) < TimeSpan.FromSeconds(10))
        {
            var response = await service.Http.GetAsync("/notes", Ct);
            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                unavailable = response;
                break;
            }

            response.Dispose();
        }

        Assert.NotNull(unavailable);
        var firstRefusal = TimeProvider.System.GetElapsedTime(refusedAt);
        Assert.True(firstRefusal < TimeSpan.FromSeconds(7), $"the EF path answered 503 {firstRefusal.TotalSeconds:0.0} s after the fault (budget 5 s)");
        Assert.NotNull(unavailable.Headers.RetryAfter);
        unavailable.Dispose();

        var once = TimeProvider.System.GetTimestamp();
        using (var fast = await service.Http.GetAsync("/notes", Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, fast.StatusCode);   // the circuit is open: at once
        }

        Assert.True(TimeProvider.System.GetElapsedTime(once) < TimeSpan.FromSeconds(1));

        proxy.Pass();
        await service.WaitForAsync("/health/ready", within: TimeSpan.FromSeconds(10));
        using var list = JsonDocument.Parse(await service.Http.GetStringAsync("/notes", Ct));
        Assert.Contains(list.RootElement.EnumerateArray(), n => n.GetProperty("text").GetString() == text);
    }
}
