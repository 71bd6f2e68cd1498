using System.Data.Common;
using Holdfast.Resilience;
using Npgsql;

namespace Holdfast;

/// <summary>
/// <see cref="HoldfastDataSource"/> as an ADO.NET <see cref="DbDataSource"/>, for code and libraries that take one
/// (Dapper, a repository over <c>DbDataSource</c>): connections it opens, and commands and batches it creates, open
/// through the guard. A connection from <see cref="CreateConnection"/> is not opened yet and opens unguarded.
/// </summary>
public sealed partial class HoldfastDataSource
{
    /// <summary>The password-free connection string of one pool.</summary>
    private sealed record DisplayedConnectionString(NpgsqlDataSource Source, string Text);

    /// <summary>An open outside the guard that the circuit let through.</summary>
    internal readonly record struct ExternalOpen(long Started, bool Probe);

    private DisplayedConnectionString? displayedConnectionString;

    /// <summary>The connection string of the pool underneath, without its password (whatever Persist Security Info says).</summary>
    public override string ConnectionString
    {
        get
        {
            var source = Inner;
            if (Volatile.Read(ref displayedConnectionString) is { } known && ReferenceEquals(known.Source, source))
            {
                return known.Text;
            }

            var text = new NpgsqlConnectionStringBuilder(source.ConnectionString) { Password = null }.ConnectionString;
            Volatile.Write(ref displayedConnectionString, new DisplayedConnectionString(source, text));
            return text;
        }
    }

    /// <summary>
    /// Opens a connection through the guard, blocking the calling thread until it is open (retries and backoff
    /// included). Prefer <see cref="OpenConnectionAsync(CancellationToken)"/> wherever the caller can await.
    /// </summary>
    /// <exception cref="DatabaseUnavailableException">The circuit is open.</exception>
    /// <exception cref="DatabaseConnectionException">A permanent failure, pool exhaustion, or the budget ran out.</exception>
    public new NpgsqlConnection OpenConnection() => OpenConnectionAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// A connection of the pool underneath, not open: opening it yourself bypasses the guard (no retry, no circuit).
    /// Use <see cref="OpenConnectionAsync(CancellationToken)"/> for a guarded one.
    /// </summary>
    public new NpgsqlConnection CreateConnection() => Inner.CreateConnection();

    /// <inheritdoc />
    protected override DbConnection CreateDbConnection() => CreateConnection();

    /// <inheritdoc />
    protected override DbConnection OpenDbConnection() => OpenConnection();

    /// <inheritdoc />
    protected override async ValueTask<DbConnection> OpenDbConnectionAsync(CancellationToken cancellationToken = default) =>
        await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// A command that opens a guarded connection of its own each time it executes and returns it when done (for a
    /// reader: when the reader is disposed). It cannot join a connection or a transaction; open a connection for that.
    /// </summary>
    protected override DbCommand CreateDbCommand(string? commandText = null) => new GuardedCommand(this, commandText);

    /// <summary>A batch that opens a guarded connection of its own each time it executes, like <see cref="CreateDbCommand"/>.</summary>
    protected override DbBatch CreateDbBatch() => new GuardedBatch(this);

    /// <summary>
    /// An open that an integration makes on <see cref="Inner"/> itself (EF Core opens its own connections): refused with
    /// <see cref="DatabaseUnavailableException"/> while the circuit refuses, else let through — as the half-open probe
    /// when one is due. Report how it ended with <see cref="ExternalOpenEnded"/>.
    /// </summary>
    internal ExternalOpen EnterExternalOpen() =>
        guard.TryEnterExternal(out var probe) ? new ExternalOpen(time.GetTimestamp(), probe) : throw guard.Refuse();

    /// <summary>An ordinary (not a probe) open from <see cref="EnterExternalOpen"/> that has taken <paramref name="duration"/> so far.</summary>
    internal ExternalOpen ExternalOpenSince(TimeSpan duration) =>
        new(time.GetTimestamp() - (long)(duration.TotalSeconds * time.TimestampFrequency), Probe: false);

    /// <summary>How an open from <see cref="EnterExternalOpen"/> ended (null: it succeeded), for the circuit and the failure status.</summary>
    internal void ExternalOpenEnded(ExternalOpen open, Exception? failure)
    {
        guard.OnExternalOutcome(failure, open.Started, open.Probe);
        if (instruments.OpenDuration.Enabled)
        {
            instruments.OpenDuration.Record(time.GetElapsedTime(open.Started).TotalSeconds, poolTag);
        }
    }

    /// <summary>
    /// Starts timing an operation guarded outside <c>ExecuteAsync</c> (EF Core's execution strategy, retries included):
    /// a timestamp for <see cref="ExternalOperationEnded"/>, or 0 when nothing listens to the operation duration.
    /// </summary>
    internal long StartExternalOperation() => instruments.OperationDuration.Enabled ? time.GetTimestamp() : 0;

    /// <summary>
    /// Records the duration of an operation begun with <see cref="StartExternalOperation"/>; one refused at once by the
    /// open circuit is not an operation (as in <c>ExecuteAsync</c>), or an outage would look fast.
    /// </summary>
    internal void ExternalOperationEnded(long started, bool refused = false)
    {
        if (started != 0 && !refused)
        {
            instruments.OperationDuration.Record(time.GetElapsedTime(started).TotalSeconds, sourceTag);
        }
    }

    /// <summary>The exception a caller refused by the circuit gets (counted as a rejection).</summary>
    internal DatabaseUnavailableException Refuse() => guard.Refuse();

    /// <summary>The budget of one unit of work: <see cref="HoldfastDataSourceOptions.OperationBudget"/>, else the environment's operation timeout.</summary>
    internal TimeSpan OperationBudget => BudgetFor(PipelineKeys.Execute);

    /// <summary>Disposes it, blocking until the pools are closed.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            DisposeAsyncCore().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }
}
