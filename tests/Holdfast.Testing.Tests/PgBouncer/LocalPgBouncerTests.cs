using Npgsql;

namespace Holdfast.Testing.Tests;

public sealed class LocalPgBouncerTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateAsync_ForwardsToTheServerWithScram_AndShowPoolsReadsItsPools()
    {
        string root;
        await using (var bouncer = await LocalPgBouncer.CreateAsync(fixture.Postgres, cancellationToken: Ct))
        {
            root = bouncer.RootDirectory;
            Assert.True(bouncer.IsRunning);
            Assert.Equal(PgBouncerPoolMode.Transaction, bouncer.PoolMode);
            await using var connection = new NpgsqlConnection(bouncer.ConnectionString);
            await connection.OpenAsync(Ct);
            await using var command = new NpgsqlCommand("SELECT current_user || '/' || current_database()", connection);
            Assert.Equal($"{fixture.Postgres.Username}/{fixture.Postgres.Database}", await command.ExecuteScalarAsync(Ct));

            // PgBouncer hands out its own cancel key: the process id the client sees is not the server's.
            await using var pid = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
            Assert.NotEqual(connection.ProcessID, (int)(await pid.ExecuteScalarAsync(Ct))!);

            var pool = Assert.Single(await bouncer.ShowPoolsAsync(Ct), p => p.Database == fixture.Postgres.Database);
            Assert.Equal(fixture.Postgres.Username, pool.User);
            Assert.Equal("transaction", pool.PoolMode);
            Assert.Equal(1, pool.ClientsActive);
            Assert.InRange(pool.ServerConnections, 1, 5);
        }

        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task WrongPassword_IsRefusedByPgBouncer()
    {
        await using var bouncer = await LocalPgBouncer.CreateAsync(fixture.Postgres, cancellationToken: Ct);
        var builder = new NpgsqlConnectionStringBuilder(bouncer.ConnectionString) { Password = "wrong", Pooling = false };

        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync(Ct));
        Assert.Equal("08P01", error.SqlState);
    }

    [Fact]
    public async Task RestartAsync_DropsClients_AndAcceptsAgainOnTheSamePort()
    {
        await using var bouncer = await LocalPgBouncer.CreateAsync(fixture.Postgres,
            new LocalPgBouncerOptions { PoolMode = PgBouncerPoolMode.Session }, Ct);
        await using var connection = new NpgsqlConnection(bouncer.ConnectionString + ";Pooling=false");
        await connection.OpenAsync(Ct);

        await bouncer.RestartAsync(TimeSpan.FromMilliseconds(200), Ct);

        await using var broken = new NpgsqlCommand("SELECT 1", connection);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => broken.ExecuteScalarAsync(Ct));
        await using var again = new NpgsqlConnection(bouncer.ConnectionString + ";Pooling=false");
        await again.OpenAsync(Ct);
        Assert.Equal("session", Assert.Single(await bouncer.ShowPoolsAsync(Ct), p => p.Database == fixture.Postgres.Database).PoolMode);
    }

    [Fact]
    public async Task PauseAsync_HoldsQueriesUntilResumeAsync()
    {
        await using var bouncer = await LocalPgBouncer.CreateAsync(fixture.Postgres, cancellationToken: Ct);
        await using var connection = new NpgsqlConnection(bouncer.ConnectionString + ";Pooling=false");
        await connection.OpenAsync(Ct);

        await bouncer.PauseAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT 42", connection);
        var held = command.ExecuteScalarAsync(Ct);
        await Task.Delay(300, Ct);
        Assert.False(held.IsCompleted);

        await bouncer.ResumeAsync(Ct);
        Assert.Equal(42, await held.WaitAsync(TimeSpan.FromSeconds(10), Ct));
    }
}
