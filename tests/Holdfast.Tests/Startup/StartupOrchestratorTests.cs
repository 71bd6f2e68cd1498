using Holdfast.Startup;
using Holdfast.Testing;
using Holdfast.Tests.Resilience;
using Holdfast.Timeouts;
using Npgsql;

namespace Holdfast.Tests.Startup;

/// <summary>The start-up sequence against a real server and the fault proxy, on short timeouts.</summary>
public sealed class StartupOrchestratorTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Run_HealthyDatabase_IsReadyWithEveryPhaseInOrder()
    {
        var table = new RecordingPhase("create-tables", StartupPhaseKind.TableSetup);
        var warm = new RecordingPhase("warm-cache", StartupPhaseKind.Service);
        await using var db = GuardedSources.Create(postgres, GuardedSources.NewApplicationName("start"));
        await using var admin = NpgsqlDataSource.Create(postgres.ConnectionString);
        var orchestrator = new StartupOrchestrator([warm, table], db, admin);

        var report = await orchestrator.RunAsync(Ct);

        Assert.Equal(StartupOutcome.Ready, report.Outcome);
        Assert.Equal(["configuration", "database", "create-tables", "health", "warm-cache"], report.Phases.Select(p => p.Name));
        Assert.All(report.Phases, p => Assert.Equal(PhaseStatus.Succeeded, p.Status));
        Assert.Equal(GuardedSources.Short.Initialization, report.Phases[1].Budget);
        Assert.Equal(GuardedSources.Short.TableSetup, report.Phases[2].Budget);
        Assert.Equal(GuardedSources.Short.HealthCheck, report.Phases[3].Budget);
        Assert.True(table.RanOnAdmin, "table setup gets the admin data source");
        Assert.Null(report.Bypass);
    }

    [Fact]
    public async Task Run_WrongPassword_FailsAtOnceWithExitCode4AndTheFix()
    {
        await using var db = GuardedSources.Create(postgres, GuardedSources.NewApplicationName("badpw"), password: "wrong-cr3t");
        await using var admin = NpgsqlDataSource.Create(postgres.ConnectionString);

        var report = await new StartupOrchestrator([], db, admin, new StartupOptions { BypassRequested = true }).RunAsync(Ct);

        Assert.Equal(StartupOutcome.Failed, report.Outcome);
        var database = report.Phases[1];
        Assert.Equal(PhaseStatus.Failed, database.Status);
        Assert.Equal(FailureKind.AuthenticationFailed, database.Failure?.Kind);
        Assert.True(database.Duration < TimeSpan.FromSeconds(2), database.Duration.ToString());
        Assert.Equal(PhaseStatus.Skipped, report.Phases[2].Status);
        var exception = new DeterministicStartupException(report);
        Assert.Equal(4, exception.ExitCode);
        Assert.Contains("phase 'database'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("check the user and password", exception.Message, StringComparison.Ordinal);
        Assert.Contains("of its 10 s budget", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-cr3t", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RefusedWithoutBypass_KeepsTryingForTheWholeBudgetThenFailsWithExitCode3()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.Refuse();
        await using var db = GuardedSources.Create(postgres, GuardedSources.NewApplicationName("nobypass"), proxy.Port,
            configure: o => o.Timeouts = HoldfastTimeouts.For(HoldfastEnvironment.Development, GuardedSources.Short with { Initialization = TimeSpan.FromSeconds(4) }));
        await using var admin = NpgsqlDataSource.Create(postgres.ConnectionString);

        var report = await new StartupOrchestrator([], db, admin).RunAsync(Ct);

        Assert.Equal(StartupOutcome.Failed, report.Outcome);
        Assert.Equal(FailureKind.Refused, report.Phases[1].Failure?.Kind);
        Assert.InRange(report.Phases[1].Duration, TimeSpan.FromSeconds(3.5), TimeSpan.FromSeconds(6));
        Assert.Equal(3, new DeterministicStartupException(report).ExitCode);
        Assert.Contains("development has no bypass", report.Bypass?.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RefusedWithBypass_StartsDegradedAndRecoversWhenTheDatabaseReturns()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.Refuse();
        await using var db = GuardedSources.Create(postgres, GuardedSources.NewApplicationName("degraded"), proxy.Port);
        await using var admin = NpgsqlDataSource.Create(postgres.ConnectionString);
        var table = new RecordingPhase("create-tables", StartupPhaseKind.TableSetup);
        var orchestrator = new StartupOrchestrator([table], db, admin,
            new StartupOptions { BypassRequested = true, RecoveryInitialDelay = TimeSpan.FromMilliseconds(100), RecoveryMaxDelay = TimeSpan.FromMilliseconds(400) });

        var report = await orchestrator.RunAsync(Ct);

        Assert.Equal(StartupOutcome.Degraded, report.Outcome);
        Assert.Equal(PhaseStatus.Failed, report.Phases[1].Status);
        Assert.Equal(PhaseStatus.Deferred, report.Phases[2].Status);
        Assert.Equal(PhaseStatus.Deferred, report.Phases[3].Status);
        Assert.True(report.Phases[1].Duration < TimeSpan.FromSeconds(8), "a bypassable failure ends the phase once the circuit opens");
        Assert.False(table.Ran);

        var recovery = orchestrator.RecoverAsync(Ct);
        await Task.Delay(600, Ct);
        Assert.Equal(StartupOutcome.Degraded, orchestrator.Report.Outcome);
        Assert.NotNull(orchestrator.NextRecoveryAt);
        proxy.Pass();
        var recovered = await recovery.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        Assert.Equal(StartupOutcome.Ready, recovered.Outcome);
        Assert.All(recovered.Phases, p => Assert.Equal(PhaseStatus.Succeeded, p.Status));
        Assert.True(table.Ran);
        Assert.NotNull(recovered.RecoveredAt);
        Assert.True(recovered.RecoveryAttempts >= 1);
        Assert.False(db.Status.IsOpen);
    }

    [Fact]
    public async Task Run_ServicePhasePastItsBudget_FailsAsTimeoutWithoutHanging()
    {
        await using var db = GuardedSources.Create(postgres, GuardedSources.NewApplicationName("slowphase"));
        await using var admin = NpgsqlDataSource.Create(postgres.ConnectionString);
        var stuck = new StuckPhase();

        var report = await new StartupOrchestrator([stuck], db, admin).RunAsync(Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct);

        var phase = report.Phases.Single(p => p.Name == "stuck");
        Assert.Equal(PhaseStatus.Failed, phase.Status);
        Assert.Equal(FailureKind.Timeout, phase.Failure?.Kind);
        Assert.InRange(phase.Duration, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
        Assert.Equal(StartupOutcome.Failed, report.Outcome);
    }

    private sealed class RecordingPhase(string name, StartupPhaseKind kind) : IStartupPhase
    {
        public string Name => name;

        public StartupPhaseKind Kind => kind;

        public bool Ran { get; private set; }

        public bool RanOnAdmin { get; private set; }

        public async ValueTask RunAsync(StartupPhaseContext context, CancellationToken cancellationToken)
        {
            await using var connection = await context.AdminDataSource.OpenConnectionAsync(cancellationToken);
            RanOnAdmin = connection.ConnectionString == context.AdminDataSource.ConnectionString &&
                         context.AdminDataSource != context.DataSource.Inner;
            Ran = true;
        }
    }

    /// <summary>Ignores its token entirely, as a synchronous call would: the budget must still end it.</summary>
    private sealed class StuckPhase : IStartupPhase
    {
        public string Name => "stuck";

        public StartupPhaseKind Kind => StartupPhaseKind.Service;

        public TimeSpan? Budget => TimeSpan.FromSeconds(1);

        public bool RequiresDatabase => false;

        public async ValueTask RunAsync(StartupPhaseContext context, CancellationToken cancellationToken) =>
            await Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None);
    }
}
