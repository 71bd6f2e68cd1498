using System.Diagnostics;
using ReferenceService.Tests.Support;

namespace ReferenceService.Tests;

/// <summary>The reference service as a process against a TLS-requiring server, as managed PostgreSQL runs.</summary>
public sealed class TlsTests(TlsServerFixture server) : IClassFixture<TlsServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task VerifyFull_WithTheProvidersCa_StartsReady_AndHealthShowsTheCertificate()
    {
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["DATABASE_URL"] = server.Url($"sslmode=verify-full&sslrootcert={server.CaFile}&application_name=reference-service"),
        });
        await service.WaitForAsync("/health/ready");

        await service.Http.AssertAccountFlowWorksAsync();
        using var health = await service.Http.HealthAsync();
        var tls = health.RootElement.GetProperty("tls");
        Assert.Equal("verify-full", tls.GetProperty("sslMode").GetString());
        Assert.Equal("CN=localhost", tls.GetProperty("subject").GetString());
        Assert.True(tls.GetProperty("chainVerified").GetBoolean());
    }

    [Theory]
    [InlineData("sslmode=disable", "requires TLS")]
    [InlineData("sslmode=verify-full", "does not chain to the system's trusted CAs")]
    public async Task TlsMisconfiguration_FailsTheStartWithExitFour_InOneAttempt_WithTheFix(string query, string what)
    {
        var watch = Stopwatch.StartNew();
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["DATABASE_URL"] = server.Url(query),
            // Even with the bypass asked for, a permanent kind is never bypassed: the configuration must change.
            ["BYPASS_STARTUP_VALIDATION"] = "true",
        });

        var exitCode = await service.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 4, service.Stderr);
        Assert.Contains("phase 'database'", service.Stderr, StringComparison.Ordinal);
        Assert.Contains("Tls", service.Stderr, StringComparison.Ordinal);
        Assert.Contains(what, service.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Postgres.Password, service.Stderr + service.Stdout, StringComparison.Ordinal);
        // Production's budget is 90 s: a TLS failure is answered at its first attempt, long before.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
    }
}
