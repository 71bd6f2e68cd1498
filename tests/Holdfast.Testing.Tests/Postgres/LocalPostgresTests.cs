using System.Globalization;
using Npgsql;

namespace Holdfast.Testing.Tests;

public sealed class LocalPostgresTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateAsync_StartsClusterWithScramPasswordAuthentication_AndDisposeRemovesIt()
    {
        string root;
        await using (var postgres = await LocalPostgres.CreateAsync(cancellationToken: Ct))
        {
            root = postgres.RootDirectory;
            Assert.True(postgres.IsRunning);
            await using var dataSource = NpgsqlDataSource.Create(postgres.ConnectionString);
            await using var connection = await dataSource.OpenConnectionAsync(Ct);
            await using var command = new NpgsqlCommand("SELECT current_user || '/' || current_database()", connection);
            Assert.Equal($"{postgres.Username}/{postgres.Database}", await command.ExecuteScalarAsync(Ct));

            var methods = await postgres.ScalarAsync<string>(
                "SELECT string_agg(DISTINCT auth_method, ',') FROM pg_hba_file_rules WHERE type IN ('host', 'local')", Ct);
            Assert.Equal("scram-sha-256", methods);
        }

        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task SocketDirectory_AcceptsConnectionsOnTheUnixSocket()
    {
        var postgres = fixture.Postgres;
        var builder = postgres.CreateConnectionStringBuilder();
        builder.Host = postgres.SocketDirectory;
        builder.Pooling = false;

        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(Ct);

        Assert.True(File.Exists(Path.Combine(postgres.SocketDirectory, $".s.PGSQL.{postgres.Port}")));
    }

    [Fact]
    public async Task DatabaseUrl_EncodesThePasswordsSpecialCharacters()
    {
        var postgres = fixture.Postgres;

        Assert.Contains('%', postgres.Password);
        Assert.Contains(Uri.EscapeDataString(postgres.Password), postgres.DatabaseUrl, StringComparison.Ordinal);
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync(Ct);
    }

    [Fact]
    public async Task Options_SettingsAndLimitsReachTheServer()
    {
        var options = new LocalPostgresOptions { MaxConnections = 7, SuperuserReservedConnections = 2, Database = "shop", Username = "clerk" };
        options.Settings["statement_timeout"] = "'5s'";

        await using var postgres = await LocalPostgres.CreateAsync(options, Ct);

        Assert.Equal("7", await postgres.ScalarAsync<string>("SHOW max_connections", Ct));
        Assert.Equal("2", await postgres.ScalarAsync<string>("SHOW superuser_reserved_connections", Ct));
        Assert.Equal("5s", await postgres.ScalarAsync<string>("SHOW statement_timeout", Ct));
        Assert.Contains("@clerk-", "@" + postgres.Username + "-", StringComparison.Ordinal);
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync(Ct);
        Assert.Equal("shop", connection.Database);
    }

    [Fact]
    public async Task StopAndStart_RefuseWhileDownAndServeAgainAfter()
    {
        await using var postgres = await LocalPostgres.CreateAsync(cancellationToken: Ct);
        var builder = postgres.CreateConnectionStringBuilder();
        builder.Pooling = false;
        builder.Timeout = 2;

        await postgres.StopAsync(ShutdownMode.Fast, Ct);
        Assert.False(postgres.IsRunning);
        await Assert.ThrowsAsync<NpgsqlException>(async () =>
        {
            await using var down = new NpgsqlConnection(builder.ConnectionString);
            await down.OpenAsync(Ct);
        });

        await postgres.RestartAsync(TimeSpan.FromMilliseconds(100), ShutdownMode.Immediate, Ct);
        Assert.True(postgres.IsRunning);
        await using var up = new NpgsqlConnection(builder.ConnectionString);
        await up.OpenAsync(Ct);
    }

    [Fact]
    public async Task CountAndTerminateConnections_ByApplicationName_LeaveOutTheControlConnection()
    {
        var postgres = fixture.Postgres;
        var builder = postgres.CreateConnectionStringBuilder("count-me");
        builder.Pooling = false;
        await using var first = new NpgsqlConnection(builder.ConnectionString);
        await using var second = new NpgsqlConnection(builder.ConnectionString);
        await first.OpenAsync(Ct);
        await second.OpenAsync(Ct);

        Assert.Equal(2, await postgres.CountConnectionsAsync("count-me", Ct));
        Assert.Equal(0, await postgres.CountConnectionsAsync(LocalPostgres.ControlApplicationName, Ct));
        Assert.Equal(2, await postgres.TerminateConnectionsAsync("count-me", Ct));
        await WaitUntilAsync(async () => await postgres.CountConnectionsAsync("count-me", Ct) == 0);
    }

    [Fact]
    public async Task CreateAsync_RemovesClustersWhoseOwnerProcessDied()
    {
        var baseDirectory = Path.Combine(Path.GetTempPath(), "holdfast-base-" + Guid.NewGuid().ToString("N"));
        var abandoned = Path.Combine(baseDirectory, "holdfast-pg-abandoned01");
        Directory.CreateDirectory(Path.Combine(abandoned, "data"));
        await File.WriteAllTextAsync(Path.Combine(abandoned, "owner.pid"), DeadProcessId().ToString(CultureInfo.InvariantCulture), Ct);
        try
        {
            await using var postgres = await LocalPostgres.CreateAsync(new LocalPostgresOptions { BaseDirectory = baseDirectory }, Ct);

            Assert.False(Directory.Exists(abandoned));
            Assert.StartsWith(baseDirectory, postgres.RootDirectory, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(baseDirectory, recursive: true);
        }
    }

    private static int DeadProcessId()
    {
        using var process = System.Diagnostics.Process.Start("true")!;
        process.WaitForExit();
        return process.Id;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50, Ct);
        }

        Assert.Fail("The condition did not hold within 5 s.");
    }
}
