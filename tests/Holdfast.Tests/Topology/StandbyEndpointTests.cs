using Holdfast.Testing;
using Holdfast.Tests.Resilience;
using Npgsql;

namespace Holdfast.Tests.Topology;

/// <summary>
/// Endpoints that ask for a standby, and a single-host endpoint that leads to one (a stale DNS name after a failover).
/// One primary and one standby for the class (a pair takes seconds to make); a test that needs the standby up starts it
/// again if an earlier test stopped it.
/// </summary>
public sealed class StandbyEndpointTests(StandbyEndpointTests.Pair pair) : IClassFixture<StandbyEndpointTests.Pair>
{
    private readonly LocalPostgres primary = pair.Primary;
    private readonly LocalPostgres standby = pair.Standby;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("standby")]
    [InlineData("prefer-standby")]
    public async Task StandbyEndpoint_ReadsFromTheStandby(string role)
    {
        await pair.StandbyUpAsync(Ct);
        var app = GuardedSources.NewApplicationName("standby-read");
        await using var db = FailoverTests.Create(FailoverTests.MultiHostUrl(app, role, primary, standby), app);

        var calls = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => db.ExecuteAsync(InRecoveryAsync, Ct).AsTask()));

        Assert.All(calls, inRecovery => Assert.True(inRecovery));
    }

    [Fact]
    public async Task PreferStandby_WithTheStandbyDown_ReadsFromThePrimary_WithoutAFailure()
    {
        var app = GuardedSources.NewApplicationName("prefer-standby");
        await using var db = FailoverTests.Create(FailoverTests.MultiHostUrl(app, "prefer-standby", primary, standby), app);
        await pair.StandbyDownAsync(Ct);

        var calls = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => db.ExecuteAsync(InRecoveryAsync, Ct).AsTask()));

        Assert.All(calls, inRecovery => Assert.False(inRecovery));
        Assert.Equal(CircuitState.Closed, db.Status.State);
    }

    [Fact]
    public async Task StandbyOnlyEndpoint_WithNoStandbyUp_IsAFailover_RetriedAndTransient_NeverPermanent()
    {
        var app = GuardedSources.NewApplicationName("standby-gone");
        await using var db = FailoverTests.Create(FailoverTests.MultiHostUrl(app, "standby", primary, standby), app);
        await pair.StandbyDownAsync(Ct);

        // Retried until five failures in a row open the circuit: the call ends refused, as a 503 would.
        var error = await Assert.ThrowsAnyAsync<DatabaseConnectionException>(() => db.ExecuteAsync(InRecoveryAsync, Ct).AsTask());

        Assert.Equal(FailureKind.Failover, error.Failure.Kind);
        Assert.True(error.IsTransient);
        Assert.True(db.Status.ConsecutiveFailures > 1, $"{db.Status.ConsecutiveFailures} failure(s)");
        Assert.Contains($"{standby.Host}:{standby.Port} refused the connection", error.Failure.Diagnosis, StringComparison.Ordinal);
        Assert.Contains($"{primary.Host}:{primary.Port} was not usable as 'standby'", error.Failure.Diagnosis, StringComparison.Ordinal);
        Assert.DoesNotContain(primary.Password, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SingleHostLeadingToAStandby_AWriteIsAFailover_NotTheOperationsError_AndTheCircuitOpens()
    {
        await pair.StandbyUpAsync(Ct);
        var app = GuardedSources.NewApplicationName("read-only");
        await using var db = GuardedSources.Create(standby, app);

        var error = await Assert.ThrowsAnyAsync<DatabaseConnectionException>(() => db.ExecuteAsync(FailoverTests.WriteAsync, Ct).AsTask());

        Assert.Equal(FailureKind.Failover, error.Failure.Kind);
        Assert.Equal("25006", error.Failure.SqlState);
        Assert.True(db.Status.ConsecutiveFailures > 1, $"{db.Status.ConsecutiveFailures} failure(s): retried on new connections");
        Assert.Contains("read-only (25006)", error.Failure.Diagnosis, StringComparison.Ordinal);
        Assert.Equal(CircuitState.Open, db.Status.State);
        Assert.IsType<DatabaseUnavailableException>(await Assert.ThrowsAnyAsync<Exception>(() => db.ExecuteAsync(FailoverTests.WriteAsync, Ct).AsTask()));
    }

    [Fact]
    public async Task AReadOnlyTransactionOfTheOperationsOwn_RefusingAWrite_IsItsOwnError_NotAFailover()
    {
        var app = GuardedSources.NewApplicationName("own-read-only");
        await using var db = GuardedSources.Create(primary, app);

        var error = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync(async (c, t) =>
        {
            await using var transaction = await c.BeginTransactionAsync(t);
            await using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", c, transaction))
            {
                await readOnly.ExecuteNonQueryAsync(t);
            }

            await using var write = new NpgsqlCommand("INSERT INTO beats DEFAULT VALUES", c, transaction);
            return await write.ExecuteNonQueryAsync(t);
        }, Ct).AsTask());

        Assert.Equal("25006", error.SqlState);
        Assert.Equal(CircuitState.Closed, db.Status.State);
        Assert.Equal(0, db.Status.ConsecutiveFailures);
        Assert.Equal(1, await db.ExecuteAsync(FailoverTests.WriteAsync, Ct));
    }

    private static async ValueTask<bool> InRecoveryAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The class's primary and its streaming standby, with the table the tests write to.</summary>
    public sealed class Pair : IAsyncLifetime
    {
        private LocalPostgres? primary;
        private LocalPostgres? standby;

        public LocalPostgres Primary => primary ?? throw new InvalidOperationException("The pair has not started.");

        public LocalPostgres Standby => standby ?? throw new InvalidOperationException("The pair has not started.");

        public async ValueTask InitializeAsync()
        {
            primary = await LocalPostgres.CreateAsync(new LocalPostgresOptions { AllowStandbys = true }, TestContext.Current.CancellationToken);
            standby = await primary.CreateStandbyAsync(TestContext.Current.CancellationToken);
            await FailoverTests.CreateTableAsync(primary);
            await standby.WaitForCatchUpAsync(cancellationToken: TestContext.Current.CancellationToken);
        }

        /// <summary>The standby running and caught up (started again after a test that stopped it).</summary>
        public async Task StandbyUpAsync(CancellationToken cancellationToken)
        {
            if (!Standby.IsRunning)
            {
                await Standby.StartAsync(cancellationToken);
            }

            await Standby.WaitForCatchUpAsync(cancellationToken: cancellationToken);
        }

        /// <summary>The standby gone at once, as a crash takes it.</summary>
        public async Task StandbyDownAsync(CancellationToken cancellationToken)
        {
            if (Standby.IsRunning)
            {
                await Standby.StopAsync(ShutdownMode.Immediate, cancellationToken);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (standby is not null)
            {
                await standby.DisposeAsync();
            }

            if (primary is not null)
            {
                await primary.DisposeAsync();
            }
        }
    }
}
