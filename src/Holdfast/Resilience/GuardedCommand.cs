using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Npgsql;

namespace Holdfast.Resilience;

/// <summary>
/// A command of a <see cref="HoldfastDataSource"/>: each execution opens a guarded connection (retry, circuit, budget)
/// and returns it afterwards — for a reader, when the reader is disposed. The statement itself is not retried: it may
/// have run. Like Npgsql's data source commands, it cannot be given a connection or a transaction.
/// </summary>
internal sealed class GuardedCommand : DbCommand
{
    private readonly HoldfastDataSource source;
    private readonly NpgsqlCommand command;

    public GuardedCommand(HoldfastDataSource source, string? commandText)
    {
        this.source = source;
        command = new NpgsqlCommand(commandText);
    }

    [AllowNull]
    public override string CommandText
    {
        get => command.CommandText;
        set => command.CommandText = value;
    }

    public override int CommandTimeout
    {
        get => command.CommandTimeout;
        set => command.CommandTimeout = value;
    }

    public override CommandType CommandType
    {
        get => command.CommandType;
        set => command.CommandType = value;
    }

    public override UpdateRowSource UpdatedRowSource
    {
        get => command.UpdatedRowSource;
        set => command.UpdatedRowSource = value;
    }

    public override bool DesignTimeVisible
    {
        get => command.DesignTimeVisible;
        set => command.DesignTimeVisible = value;
    }

    protected override DbConnection? DbConnection
    {
        get => null;
        set => throw NotOnThisCommand("a connection");
    }

    protected override DbParameterCollection DbParameterCollection => command.Parameters;

    protected override DbTransaction? DbTransaction
    {
        get => null;
        set => throw NotOnThisCommand("a transaction");
    }

    public override void Cancel() => command.Cancel();

    public override void Prepare() => throw new NotSupportedException(
        "A Holdfast data source command runs on a new pooled connection each time: it cannot be prepared. Open a connection and prepare there.");

    protected override DbParameter CreateDbParameter() => command.CreateParameter();

    public override int ExecuteNonQuery() => ExecuteNonQueryAsync().GetAwaiter().GetResult();

    public override object? ExecuteScalar() => ExecuteScalarAsync().GetAwaiter().GetResult();

    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => ExecuteDbDataReaderAsync(behavior, CancellationToken.None).GetAwaiter().GetResult();

    public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken) =>
        GuardedExecution.RunAsync(source, Attach, command.ExecuteNonQueryAsync, cancellationToken);

    public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken) =>
        GuardedExecution.RunAsync(source, Attach, command.ExecuteScalarAsync, cancellationToken);

    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken) =>
        await GuardedExecution.ReadAsync(source, Attach,
            async token => await command.ExecuteReaderAsync(behavior | CommandBehavior.CloseConnection, token).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            command.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Attach(NpgsqlConnection? connection) => command.Connection = connection;

    private static NotSupportedException NotOnThisCommand(string what) => new(
        $"A Holdfast data source command opens a guarded connection of its own: it cannot be given {what}. " +
        "Open a connection with OpenConnectionAsync and create the command on it.");
}
