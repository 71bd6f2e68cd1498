using Npgsql;

namespace Holdfast.Testing.Tests;

public sealed class StandbyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateStandbyAsync_StreamsThePrimarysWrites_AndPromoteAsyncMakesItWritable()
    {
        await using var primary = await LocalPostgres.CreateAsync(new LocalPostgresOptions { AllowStandbys = true }, Ct);
        await using var standby = await primary.CreateStandbyAsync(Ct);

        Assert.Same(primary, standby.Primary);
        Assert.True(await standby.IsInRecoveryAsync(Ct));
        Assert.False(await primary.IsInRecoveryAsync(Ct));
        Assert.Equal(primary.Password, standby.Password);

        await ExecuteAsync(primary.ConnectionString, "CREATE TABLE items (id int); INSERT INTO items VALUES (1), (2)");
        await standby.WaitForCatchUpAsync(cancellationToken: Ct);
        Assert.Equal(2L, await ScalarAsync(standby.ConnectionString, "SELECT count(*) FROM items"));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(standby.ConnectionString, "INSERT INTO items VALUES (3)"));
        Assert.Equal("25006", refused.SqlState);

        await primary.StopAsync(ShutdownMode.Immediate, Ct);
        await standby.PromoteAsync(Ct);

        Assert.Null(standby.Primary);
        Assert.False(await standby.IsInRecoveryAsync(Ct));
        await ExecuteAsync(standby.ConnectionString, "INSERT INTO items VALUES (3)");
        Assert.Equal(3L, await ScalarAsync(standby.ConnectionString, "SELECT count(*) FROM items"));
    }

    [Fact]
    public async Task RejoinAsStandbyAsync_AfterAFailover_AllowsASwitchoverBack()
    {
        await using var first = await LocalPostgres.CreateAsync(new LocalPostgresOptions { AllowStandbys = true }, Ct);
        await using var second = await first.CreateStandbyAsync(Ct);
        await first.StopAsync(ShutdownMode.Immediate, Ct);
        await second.PromoteAsync(Ct);
        await ExecuteAsync(second.ConnectionString, "CREATE TABLE written_after_failover (id int)");

        await first.RejoinAsStandbyAsync(second, Ct);
        Assert.Same(second, first.Primary);
        Assert.True(await first.IsInRecoveryAsync(Ct));
        await first.WaitForCatchUpAsync(cancellationToken: Ct);

        await second.StopAsync(ShutdownMode.Fast, Ct);
        await first.PromoteAsync(Ct);
        await ExecuteAsync(first.ConnectionString, "INSERT INTO written_after_failover VALUES (1)");
    }

    [Fact]
    public async Task CreateStandbyAsync_WithoutAllowStandbys_SaysWhatToSet()
    {
        await using var postgres = await LocalPostgres.CreateAsync(cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => postgres.CreateStandbyAsync(Ct));
        Assert.Contains("AllowStandbys", error.Message, StringComparison.Ordinal);
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(Ct);
    }
}
