using Holdfast.EntityFrameworkCore.Tests.Support;
using Holdfast.Startup;
using Holdfast.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Holdfast.EntityFrameworkCore.Tests;

/// <summary>AddHoldfastMigrations: pending migrations as the start-up's table-setup phase, against real PostgreSQL.</summary>
public sealed class MigrationsPhaseTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Startup_AppliesPendingMigrations_AsTheTableSetupPhase_OnTheAdminPool()
    {
        var database = await NewDatabaseAsync();
        await using var provider = Service<NotesDb>(database);

        var report = await provider.GetRequiredService<StartupOrchestrator>().RunAsync(Ct);

        Assert.Equal(StartupOutcome.Ready, report.Outcome);
        var phase = Assert.Single(report.Phases, p => p.Kind == StartupPhaseKind.TableSetup);
        Assert.Equal("migrations (NotesDb)", phase.Name);
        Assert.Equal(PhaseStatus.Succeeded, phase.Status);
        Assert.True(phase.Duration < phase.Budget);
        await using var scope = provider.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotesDb>();
        db.Notes.Add(new Note { Text = "migrated" });
        await db.SaveChangesAsync(Ct);
        Assert.Equal(["20261202000001_CreateNotes"], await db.Database.GetAppliedMigrationsAsync(Ct));
    }

    [Fact]
    public async Task Startup_MigrationLongerThanTheTableSetupBudget_FailsNamingThePhase()
    {
        var database = await NewDatabaseAsync();
        await using var provider = Service<SlowDb>(database, "Holdfast:Timeouts:TableSetup=1");

        var report = await provider.GetRequiredService<StartupOrchestrator>().RunAsync(Ct);

        Assert.NotEqual(StartupOutcome.Ready, report.Outcome);
        var failed = report.FirstFailure;
        Assert.NotNull(failed);
        Assert.Equal("migrations (SlowDb)", failed.Name);
        Assert.Equal(StartupPhaseKind.TableSetup, failed.Kind);
        Assert.Equal(TimeSpan.FromSeconds(1), failed.Budget);
        Assert.True(failed.Duration < TimeSpan.FromSeconds(2.5), $"the phase ran {failed.Duration.TotalSeconds:0.00} s against a 1 s budget");
    }

    [Fact]
    public async Task TwoServicesStartingAtOnce_MigrateOnce()
    {
        var database = await NewDatabaseAsync();
        await using var first = Service<NotesDb>(database);
        await using var second = Service<NotesDb>(database);

        var reports = await Task.WhenAll(
            first.GetRequiredService<StartupOrchestrator>().RunAsync(Ct),
            second.GetRequiredService<StartupOrchestrator>().RunAsync(Ct));

        Assert.All(reports, r => Assert.Equal(StartupOutcome.Ready, r.Outcome));
        await using var scope = first.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotesDb>();
        Assert.Equal(1, await db.Database.SqlQueryRaw<int>("SELECT count(*)::int AS \"Value\" FROM \"__EFMigrationsHistory\"").SingleAsync(Ct));
    }

    private async Task<string> NewDatabaseAsync()
    {
        var name = $"ef_{Guid.NewGuid():N}"[..20];
        await postgres.ExecuteAsync($"CREATE DATABASE {name} OWNER \"{postgres.Username}\"", Ct);
        return name;
    }

    private ServiceProvider Service<TContext>(string database, params string[] settings)
        where TContext : DbContext
    {
        var values = new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = postgres.DatabaseUrlVia(postgres.Port, database),
            ["HOLDFAST_ENVIRONMENT"] = "test",
        };
        foreach (var setting in settings)
        {
            values[setting[..setting.IndexOf('=', StringComparison.Ordinal)]] = setting[(setting.IndexOf('=', StringComparison.Ordinal) + 1)..];
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddHoldfast(configuration, options => options.ApplicationName = $"hf-migrate-{Guid.NewGuid():N}"[..20]);
        services.AddDbContext<TContext>((sp, options) => options.UseHoldfast(sp));
        services.AddHoldfastMigrations<TContext>();
        return services.BuildServiceProvider();
    }
}
