using System.Data.Common;
using Dapper;
using Holdfast.Testing;

namespace Holdfast.Tests.Resilience;

/// <summary>HoldfastDataSource as an ADO.NET DbDataSource: what Dapper and DbDataSource-based code get is guarded.</summary>
public sealed class DbDataSourceTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dapper_ThroughTheDbDataSource_QueriesAndReturnsTheConnection()
    {
        var app = GuardedSources.NewApplicationName("dapper");
        await using var db = GuardedSources.Create(postgres, app);
        DbDataSource source = db;

        await using (var connection = await source.OpenConnectionAsync(Ct))
        {
            var rows = (await connection.QueryAsync<(int N, string Word)>(
                new CommandDefinition("SELECT n, 'w' || n FROM generate_series(1, @count) AS n", new { count = 3 }, cancellationToken: Ct))).ToList();
            Assert.Equal([(1, "w1"), (2, "w2"), (3, "w3")], rows);
        }

        Assert.Equal(0, db.PoolUsage.Busy);
        await GuardedSources.AssertNothingLeakedAsync(db, postgres, app);
    }

    [Fact]
    public async Task CommandsAndBatches_OpenAConnectionOfTheirOwn_AndReturnItWhenDone()
    {
        var app = GuardedSources.NewApplicationName("commands");
        await using var db = GuardedSources.Create(postgres, app);

        await using (var command = db.CreateCommand("SELECT 41 + 1"))
        {
            Assert.Equal(42, await command.ExecuteScalarAsync(Ct));
        }

        await using (var command = db.CreateCommand("SELECT generate_series(1, 3)"))
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            var read = 0;
            while (await reader.ReadAsync(Ct))
            {
                read++;
            }

            Assert.Equal(3, read);
            Assert.Equal(1, db.PoolUsage.Busy);   // the reader holds its connection until it is disposed
        }

        Assert.Equal(0, db.PoolUsage.Busy);
        await using (var batch = db.CreateBatch())
        {
            var first = batch.CreateBatchCommand();
            first.CommandText = "SELECT 1";
            batch.BatchCommands.Add(first);
            var second = batch.CreateBatchCommand();
            second.CommandText = "SELECT 2";
            batch.BatchCommands.Add(second);
            Assert.Equal(1, await batch.ExecuteScalarAsync(Ct));
        }

        Assert.Equal(0, db.PoolUsage.Busy);
        await GuardedSources.AssertNothingLeakedAsync(db, postgres, app);
    }

    [Fact]
    public async Task OpenCircuit_RefusesDapperCommandsAndBatchesAtOnce()
    {
        var app = GuardedSources.NewApplicationName("refused");
        await using var db = GuardedSources.Create(postgres, app);
        DbDataSource source = db;
        await db.IsolateCircuitAsync();

        await Assert.ThrowsAsync<DatabaseUnavailableException>(async () => await source.OpenConnectionAsync(Ct));
        await using var command = source.CreateCommand("SELECT 1");
        await Assert.ThrowsAsync<DatabaseUnavailableException>(async () => await command.ExecuteScalarAsync(Ct));
        await using var batch = source.CreateBatch();
        await Assert.ThrowsAsync<DatabaseUnavailableException>(async () => await batch.ExecuteNonQueryAsync(Ct));
        Assert.Throws<DatabaseUnavailableException>(() => source.OpenConnection());

        await db.CloseCircuitAsync();
        await using var connection = await source.OpenConnectionAsync(Ct);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: Ct)));
    }

    [Fact]
    public void DataSourceCommand_RefusesAConnectionOrTransaction_WithTheWayToDoIt()
    {
        using var db = GuardedSources.Create(postgres, GuardedSources.NewApplicationName("no-join"));
        using var command = db.CreateCommand("SELECT 1");

        var error = Assert.Throws<NotSupportedException>(() => command.Connection = db.CreateConnection());
        Assert.Contains("OpenConnectionAsync", error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(db.ConnectionString));
        Assert.DoesNotContain(postgres.Password, db.ConnectionString, StringComparison.Ordinal);
    }
}
