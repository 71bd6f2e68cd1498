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

    public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken = default) =>
        GuardedExecution.RunAsync(source, Attach, batch.ExecuteNonQueryAsync, cancellationToken);

    public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken = default) =>
        GuardedExecution.RunAsync(source, Attach, batch.ExecuteScalarAsync, cancellationToken);

    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken) =>
        await GuardedExecution.ReadAsync(source, Attach,
            async token => await batch.ExecuteReaderAsync(behavior | CommandBehavior.CloseConnection, token).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);

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

    private void Attach(NpgsqlConnection? connection) => batch.Connection = connection;

    private static NotSupportedException NotOnThisBatch(string what) => new(
        $"A Holdfast data source batch opens a guarded connection of its own: it cannot be given {what}. " +
        "Open a connection with OpenConnectionAsync and create the batch on it.");
}
