using Npgsql;

namespace Holdfast.Testing.Tests;

public sealed class LocalPostgresTests
{
    [Fact]
    public async Task CreateAsync_StartsClusterWithScramPasswordAuthentication()
    {
        var ct = TestContext.Current.CancellationToken;
        string root;
        await using (var postgres = await LocalPostgres.CreateAsync(cancellationToken: ct))
        {
            root = postgres.RootDirectory;
            await using var dataSource = NpgsqlDataSource.Create(postgres.ConnectionString);
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand("SELECT current_user || '/' || current_database()", connection);
            Assert.Equal($"{postgres.Username}/{postgres.Database}", await command.ExecuteScalarAsync(ct));

            var method = await postgres.ScalarAsync<string>(
                "SELECT auth_method FROM pg_hba_file_rules WHERE type = 'host' LIMIT 1", ct);
            Assert.Equal("scram-sha-256", method);
            Assert.True(File.Exists(Path.Combine(postgres.SocketDirectory, $".s.PGSQL.{postgres.Port}")));
        }

        Assert.False(Directory.Exists(root));
    }
}
