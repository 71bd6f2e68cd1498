using System.Data.Common;
using Npgsql;

namespace Holdfast.Resilience;

/// <summary>
/// How a data source's command or batch runs: on a guarded connection of its own, attached for the execution and
/// returned afterwards — for a reader, handed to the reader (it closes the connection when disposed).
/// </summary>
internal static class GuardedExecution
{
    public static async Task<T> RunAsync<T>(HoldfastDataSource source, Action<NpgsqlConnection?> attach, Func<CancellationToken, Task<T>> execute,
        CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        attach(connection);
        try
        {
            return await execute(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            attach(null);
        }
    }

    /// <summary>Runs a reader; <paramref name="execute"/> must pass <c>CommandBehavior.CloseConnection</c>, so the reader owns the connection.</summary>
    public static async Task<DbDataReader> ReadAsync(HoldfastDataSource source, Action<NpgsqlConnection?> attach,
        Func<CancellationToken, Task<DbDataReader>> execute, CancellationToken cancellationToken)
    {
        var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            attach(connection);
            return await execute(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
