using Holdfast.Capacity;
using Npgsql;

namespace Holdfast.Tests.Capacity;

public sealed class ServerCapacityTests(PostgresFixture fixture)
{
    private static readonly ServerCapacity Server = new(100, 3,
    [
        new("orders-api", 8), new("orders-api-health", 1), new("orders-api-admin", 2), new("orders-api-v2", 5), new("billing-jobs", 4), new("", 1),
    ]);

    [Fact]
    public void OtherClients_LeavesOutTheServiceAndItsAdminAndHealthPools()
    {
        Assert.Equal(5 + 4 + 1, Server.OtherClients("orders-api"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void OtherClients_WithoutAName_CountsEveryConnection(string? name)
    {
        Assert.Equal(21, Server.OtherClients(name));
    }

    [Fact]
    public async Task ReadAsync_ReadsTheSettingsAndCountsClientsByApplicationLeavingItselfOut()
    {
        var ct = TestContext.Current.CancellationToken;
        var postgres = fixture.Postgres;
        var name = $"capacity-{Guid.NewGuid():N}"[..20];
        var held = new List<NpgsqlConnection>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var connection = new NpgsqlConnection(postgres.CreateConnectionStringBuilder(name).ConnectionString + ";Pooling=false");
                await connection.OpenAsync(ct);
                held.Add(connection);
            }

            await using var reader = new NpgsqlConnection(postgres.CreateConnectionStringBuilder("capacity-reader").ConnectionString + ";Pooling=false");
            await reader.OpenAsync(ct);
            var server = await ServerCapacity.ReadAsync(reader, ct);

            Assert.Equal(postgres.MaxConnections, server.MaxConnections);
            Assert.Equal(3, server.Reserved);
            Assert.Equal(2, Assert.Single(server.Applications, a => a.ApplicationName == name).Connections);
            Assert.DoesNotContain(server.Applications, a => a.ApplicationName == "capacity-reader");
            Assert.Equal(server.Applications.Sum(a => a.Connections) - 2, server.OtherClients(name));
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
