using Npgsql;

namespace Holdfast.Resilience;

/// <summary>
/// Opens that end at their deadline even where Npgsql is slow to notice cancellation — it checks at its next read,
/// which on a blackholed path may never come, and not at all in a synchronous DNS lookup. An open abandoned that way
/// is still connecting, and may even complete later: the connection is disposed once the open ends, never while it is
/// still connecting (Npgsql refuses that with "Can't close, connection is in state Connecting"), and never leaked.
/// </summary>
internal static class AbandonableOpen
{
    /// <summary>Opens a new connection that the caller owns; nothing to dispose when it throws.</summary>
    /// <param name="connectionString">The connection string.</param>
    /// <param name="cancellationToken">Ends the open, at once.</param>
    public static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        var opening = connection.OpenAsync(cancellationToken);
        try
        {
            await opening.WaitAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            if (opening.IsCompleted)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                _ = opening.ContinueWith(static (task, state) =>
                {
                    _ = task.Exception;
                    ((NpgsqlConnection)state!).Dispose();
                }, connection, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            throw;
        }
    }

    /// <summary>Waits for an open from a data source; ends at once on cancellation, and a late connection is disposed.</summary>
    /// <param name="opening">The open, e.g. <c>dataSource.OpenConnectionAsync(token).AsTask()</c>.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    public static async Task<NpgsqlConnection> WaitAsync(Task<NpgsqlConnection> opening, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(opening);
        try
        {
            return await opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            DisposeWhenOpened(opening);
            throw;
        }
    }

    /// <summary>Disposes the connection of an abandoned open: now if it already succeeded, else when it does.</summary>
    /// <param name="opening">The abandoned open.</param>
    public static void DisposeWhenOpened(Task<NpgsqlConnection> opening)
    {
        ArgumentNullException.ThrowIfNull(opening);
        if (opening.IsCompletedSuccessfully)
        {
            // It completed between the caller giving up and this call: nobody else will dispose it.
            opening.Result.Dispose();
        }
        else if (!opening.IsCompleted)
        {
            _ = opening.ContinueWith(static task =>
            {
                if (task.IsCompletedSuccessfully)
                {
                    task.Result.Dispose();
                }
                else
                {
                    _ = task.Exception;
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
