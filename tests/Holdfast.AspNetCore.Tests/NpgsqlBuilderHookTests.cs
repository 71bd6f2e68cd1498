using Holdfast.AspNetCore.Health;
using Holdfast.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Holdfast.AspNetCore.Tests;

/// <summary>
/// What the application sets on the Npgsql builder reaches every connection Holdfast makes. The case that matters is IAM
/// database authentication: the password is a token a provider renews, and the connection string has none.
/// </summary>
public sealed class NpgsqlBuilderHookTests(PostgresFixture fixture)
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(150);
    private readonly LocalPostgres postgres = fixture.Postgres;
    private string current = "first-T0ken";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PeriodicPasswordProvider_RotatedTwice_KeepsEveryPoolAndProbeConnecting()
    {
        var role = $"rotating_{Guid.NewGuid():N}"[..24];
        await postgres.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD '{current}'", Ct);
        var application = $"hf-rotate-{Guid.NewGuid():N}"[..18];
        // No password in the URL: Npgsql refuses a password and a provider together.
        var url = $"postgres://{role}@{postgres.Host}:{postgres.Port}/{postgres.Database}?application_name={application}";
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["DATABASE_URL"] = url, ["HOLDFAST_ENVIRONMENT"] = "test" })
            .Build();
        var providerCalls = 0;
        var services = new ServiceCollection().AddLogging();
        services.AddHoldfast(configuration, options => options.DataSource.ConfigureNpgsql = builder => builder.UsePeriodicPasswordProvider(
            (_, _) =>
            {
                Interlocked.Increment(ref providerCalls);
                return ValueTask.FromResult(Volatile.Read(ref current));
            },
            Refresh, Refresh));
        await using var provider = services.BuildServiceProvider();
        var db = provider.GetRequiredService<HoldfastDataSource>();
        var admin = provider.GetRequiredService<HoldfastAdminDataSource>().DataSource;
        var health = provider.GetRequiredService<DatabaseProbe>();
        Assert.Same(db, provider.GetRequiredService<System.Data.Common.DbDataSource>());

        // Rotated before the first connection: the pooler check that follows the first open uses the provider too.
        await RotateAsync(role, "second-T0ken");
        await AssertEveryConnectionWorksAsync(db, admin, health, "after the first rotation");
        var pooler = await db.DetectPoolerAsync(Ct);
        Assert.False(pooler.Present, pooler.Evidence);

        await RotateAsync(role, "third-T0ken");
        await AssertEveryConnectionWorksAsync(db, admin, health, "after the second rotation");
        Assert.True(providerCalls >= 2, $"the provider was asked {providerCalls} times");
    }

    private async Task RotateAsync(string role, string password)
    {
        await postgres.ExecuteAsync($"ALTER ROLE {role} PASSWORD '{password}'", Ct);
        Volatile.Write(ref current, password);
        // Each pool's provider picks the new token up at its next refresh.
        await Task.Delay(Refresh * 4, Ct);
    }

    private static async Task AssertEveryConnectionWorksAsync(HoldfastDataSource db, NpgsqlDataSource admin, DatabaseProbe health, string when)
    {
        // New physical connections everywhere: pooled ones authenticated with the old token long ago.
        db.Inner.Clear();
        admin.Clear();
        NpgsqlConnection.ClearAllPools();

        await using (var connection = await db.OpenConnectionAsync(Ct))
        {
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            Assert.Equal(1, await command.ExecuteScalarAsync(Ct));
        }

        await using (var connection = await admin.OpenConnectionAsync(Ct))
        {
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            Assert.Equal(1, await command.ExecuteScalarAsync(Ct));
        }

        await db.ProbeAsync(Ct);   // the recovery probe: a new unpooled connection
        await Task.Delay(TimeSpan.FromSeconds(1.1), Ct);   // past the health probe's cached result
        var probed = await health.ProbeAsync();
        Assert.True(probed.Answers, $"health probe {when}: {probed.Failure}");
    }
}
