using System.Data;
using System.Data.Common;
using Npgsql;

namespace Holdfast.Resilience;

/// <summary>
/// A batch of a <see cref="HoldfastDataSource"/>: each execution opens a guarded connection (retry, circuit, budget)
/// and returns it afterwards — for a reader, when the reader is disposed. The statements are not retried: they may have
/// run. It cannot be given a connection or a transaction.
/// </summary>
internal sealed class GuardedBatch : DbBatch
{
    private readonly HoldfastDataSource source;
    private readonly NpgsqlBatch batch = new();

    public GuardedBatch(HoldfastDataSource source) => this.source = source;

    public override int Timeout
    {
        get => batch.Timeout;
        set => batch.Timeout = value;
    }

    protected override DbBatchCommandCollection DbBatchCommands => batch.BatchCommands;

    protected override DbConnection? DbConnection
    {
        get => null;
        set => throw NotOnThisBatch("a connection");
    }

    protected override DbTransaction? DbTransaction
    {
        get => null;
        set => throw NotOnThisBatch("a transaction");
    }

    public override void Cancel() => batch.Cancel();

    public override void Prepare() => throw new NotSupportedException(
        "A Holdfast data source batch runs on a new pooled connection each time: it cannot be prepared. Open a connection and prepare there.");

    public override Task PrepareAsync(CancellationToken cancellationToken = default) => Task.FromException(new NotSupportedException(
        "A Holdfast data source batch runs on a new pooled connection each time: it cannot be prepared. Open a connection and prepare there."));

    protected override DbBatchCommand CreateDbBatchCommand() => batch.CreateBatchCommand();

    public override int ExecuteNonQuery() => ExecuteNonQueryAsync().GetAwaiter().GetResult();

    public override object? ExecuteScalar() => ExecuteScalarAsync().GetAwaiter().GetResult();

    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => ExecuteDbDataReaderAsync(behavior, CancellationToken.None).GetAwaiter().GetResult();

    public override async Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        batch.Connection = connection;
        try
        {
            return await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            batch.Connection = null;
        }
    }

    public override async Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        batch.Connection = connection;
        try
        {
            return await batch.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            batch.Connection = null;
        }
    }

    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken)
    {
        var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            batch.Connection = connection;
            // The reader owns the connection: disposing it returns the connection to the pool.
            return await batch.ExecuteReaderAsync(behavior | CommandBehavior.CloseConnection, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override void Dispose()
    {
        batch.Dispose();
        base.Dispose();
    }

    public override async ValueTask DisposeAsync()
    {
        await batch.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private static NotSupportedException NotOnThisBatch(string what) => new(
        $"A Holdfast data source batch opens a guarded connection of its own: it cannot be given {what}. " +
        "Open a connection with OpenConnectionAsync and create the batch on it.");
}
