using System.Globalization;

namespace Holdfast.Testing;

public sealed partial class LocalPostgres
{
    /// <summary>The cluster this one streams from while it is a standby; null for a primary or once promoted.</summary>
    public LocalPostgres? Primary { get; private set; }

    /// <summary>
    /// Creates a streaming standby of this cluster: a base backup (<c>pg_basebackup -R -X stream</c>) into a directory of
    /// its own, on a free port, started as a hot standby that answers read-only queries with the same roles and passwords.
    /// The primary must have been created with <see cref="LocalPostgresOptions.AllowStandbys"/>. Dispose the standby like
    /// any <see cref="LocalPostgres"/>; <see cref="PromoteAsync"/> turns it into a primary (a failover).
    /// </summary>
    /// <param name="cancellationToken">Cancels the backup and start.</param>
    /// <exception cref="InvalidOperationException">This cluster was not created to stream to standbys, or is not running.</exception>
    public async Task<LocalPostgres> CreateStandbyAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        if (!options.AllowStandbys)
        {
            throw new InvalidOperationException(
                "This cluster cannot stream to a standby: create it with LocalPostgresOptions.AllowStandbys = true (wal_level = replica).");
        }

        var standbyOptions = CopyOptions(options);
        var baseDirectory = Path.GetDirectoryName(RootDirectory)!;
        var standby = new LocalPostgres(tools, standbyOptions, NewRootDirectory(baseDirectory), LocalResources.FreePort(), cloneOf: this);
        try
        {
            await standby.CreateRootAsync(cancellationToken);
            await standby.CloneFromAsync(this, cancellationToken);
            return standby;
        }
        catch
        {
            await standby.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Promotes this standby to a primary (<c>pg_ctl promote -w</c>): it returns once the server accepts writes. From then
    /// on <see cref="Primary"/> is null. A failover is: stop the primary with <see cref="ShutdownMode.Immediate"/>, then promote.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="InvalidOperationException">This cluster is not a standby.</exception>
    public async Task PromoteAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        if (Primary is null)
        {
            throw new InvalidOperationException("Only a standby can be promoted; this cluster is a primary.");
        }

        await tools.RunAsync("pg_ctl", ["promote", "-D", DataDirectory, "-w", "-t", "60", "-s"], TimeSpan.FromSeconds(70), cancellationToken);
        Primary = null;
    }

    /// <summary>
    /// Makes this cluster (typically a former primary after a failover) a standby of <paramref name="primary"/>: it is
    /// stopped, its data replaced by a fresh base backup of <paramref name="primary"/>, and started streaming. Promote it
    /// afterwards (with the other one stopped) for a switchover back.
    /// </summary>
    /// <param name="primary">The cluster to follow; it must stream to standbys.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    public async Task RejoinAsStandbyAsync(LocalPostgres primary, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        if (primary.superuserPassword != superuserPassword)
        {
            throw new InvalidOperationException("Only a cluster of the same family (a standby of this one, or its primary) can be followed.");
        }

        await StopAsync(ShutdownMode.Fast, cancellationToken);
        Directory.Delete(DataDirectory, recursive: true);
        await CloneFromAsync(primary, cancellationToken);
    }

    /// <summary>True while the server is a standby replaying WAL (<c>pg_is_in_recovery()</c>).</summary>
    /// <param name="cancellationToken">Cancels it.</param>
    public Task<bool> IsInRecoveryAsync(CancellationToken cancellationToken = default) =>
        ScalarAsync<bool>("SELECT pg_is_in_recovery()", cancellationToken);

    /// <summary>
    /// Waits until this standby has replayed everything its primary had written when the wait began, so a row just
    /// committed on the primary can be read here.
    /// </summary>
    /// <param name="timeout">How long to wait; 30 s by default.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="InvalidOperationException">This cluster is not a standby.</exception>
    /// <exception cref="TimeoutException">It did not catch up in time.</exception>
    public async Task WaitForCatchUpAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var primary = Primary ?? throw new InvalidOperationException("This cluster is not a standby.");
        var target = await primary.ScalarAsync<string>("SELECT pg_current_wal_insert_lsn()::text", cancellationToken);
        var deadline = TimeProvider.System.GetUtcNow() + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var behind = await ScalarAsync<bool>(
                $"SELECT pg_last_wal_replay_lsn() IS NULL OR pg_last_wal_replay_lsn() < '{target}'::pg_lsn", cancellationToken);
            if (!behind)
            {
                return;
            }

            if (TimeProvider.System.GetUtcNow() > deadline)
            {
                throw new TimeoutException($"The standby on port {Port} did not replay up to {target} within {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds:0} s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System, cancellationToken);
        }
    }

    private async Task CloneFromAsync(LocalPostgres primary, CancellationToken cancellationToken)
    {
        await PostgresTools.GiveToServiceUserAsync(RootDirectory, cancellationToken);
        await tools.EnsureServiceUserCanWriteAsync(RootDirectory, cancellationToken);
        if (primary.CertificateAuthorityFile is { } ca)
        {
            File.Copy(ca, Path.Combine(RootDirectory, CaFileName), overwrite: true);
        }

        await tools.RunAsync("pg_basebackup",
            ["-D", DataDirectory, "-h", primary.Host, "-p", primary.Port.ToString(CultureInfo.InvariantCulture), "-U", SuperuserName,
             "-X", "stream", "-R", "-c", "fast", "--no-sync", "-w"],
            TimeSpan.FromMinutes(2), cancellationToken,
            new Dictionary<string, string> { ["PGPASSWORD"] = superuserPassword, ["PGAPPNAME"] = ControlApplicationName });

        // The copy carries the primary's port and socket directory: later lines of postgresql.conf win.
        var own = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["port"] = Port.ToString(CultureInfo.InvariantCulture),
            ["unix_socket_directories"] = $"'{SocketDirectory}'",
            ["hot_standby"] = "on",
            ["wal_receiver_status_interval"] = "1s",
        };
        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), ConfigSection(own), cancellationToken);
        Primary = primary;
        await StartAsync(cancellationToken);
    }

    private static LocalPostgresOptions CopyOptions(LocalPostgresOptions source)
    {
        var copy = new LocalPostgresOptions
        {
            BaseDirectory = source.BaseDirectory,
            MaxConnections = source.MaxConnections,
            SuperuserReservedConnections = source.SuperuserReservedConnections,
            Database = source.Database,
            Username = source.Username,
            Password = source.Password,
            StartTimeout = source.StartTimeout,
            BinDirectory = source.BinDirectory,
            AllowStandbys = source.AllowStandbys,
            Tls = source.Tls,
        };
        foreach (var (key, value) in source.Settings)
        {
            copy.Settings[key] = value;
        }

        return copy;
    }
}
