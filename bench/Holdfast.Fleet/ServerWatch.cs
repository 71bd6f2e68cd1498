using Holdfast.Testing;
using Npgsql;

namespace Holdfast.Fleet;

/// <summary>
/// The admin client: one connection of its own (counted among the plan's other clients) that samples the server's
/// client connections every 100 ms, and reconnects when the server comes back from a restart.
/// </summary>
internal sealed class ServerWatch : IAsyncDisposable
{
    private readonly LocalPostgres postgres;
    private readonly CancellationTokenSource stop = new();
    private readonly Task sampling;
    private NpgsqlConnection? connection;
    private int peak;
    private int last;

    public ServerWatch(LocalPostgres postgres)
    {
        this.postgres = postgres;
        sampling = Task.Run(SampleAsync);
    }

    /// <summary>Client connections at the last sample.</summary>
    public int Current => Volatile.Read(ref last);

    /// <summary>The most client connections seen since the last <see cref="ResetPeak"/>.</summary>
    public int Peak => Volatile.Read(ref peak);

    public void ResetPeak() => Volatile.Write(ref peak, Current);

    /// <summary>Ends every client backend but the watch's own, as an administrator's storm would.</summary>
    public async Task<int> KillAllAsync()
    {
        await using var admin = new NpgsqlConnection(postgres.ConnectionString + ";Pooling=false;Application Name=fleet-admin-kill");
        await admin.OpenAsync().ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity WHERE backend_type = 'client backend' " +
            "AND pid <> pg_backend_pid() AND application_name NOT LIKE 'fleet-admin%'", admin);
        return (int)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await sampling.ConfigureAwait(false);
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        stop.Dispose();
    }

    private async Task SampleAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (connection is not { State: System.Data.ConnectionState.Open })
                {
                    if (connection is not null)
                    {
                        await connection.DisposeAsync().ConfigureAwait(false);
                    }

                    connection = new NpgsqlConnection(postgres.ConnectionString + ";Pooling=false;Application Name=fleet-admin;Timeout=2");
                    await connection.OpenAsync(stop.Token).ConfigureAwait(false);
                }

                await using var command = new NpgsqlCommand("SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend'", connection);
                var count = (int)(await command.ExecuteScalarAsync(stop.Token).ConfigureAwait(false))!;
                Volatile.Write(ref last, count);
                if (count > Volatile.Read(ref peak))
                {
                    Volatile.Write(ref peak, count);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException or IOException)
            {
                // The server is away (a restart or a stop): try again at the next sample.
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    connection = null;
                }
            }

            try
            {
                await Task.Delay(100, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
