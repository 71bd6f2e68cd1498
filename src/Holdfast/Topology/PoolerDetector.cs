using System.Globalization;
using Holdfast.Configuration;
using Npgsql;

namespace Holdfast.Topology;

/// <summary>
/// Finds a connection pooler between the client and PostgreSQL, and its mode, with three short looks:
/// <list type="number">
/// <item>Presence: a pooler (PgBouncer, Odyssey, PgCat, RDS Proxy, Cloud SQL managed pooling) hands the client a backend
/// key of its own, so the process id the connection was given differs from the server's <c>pg_backend_pid()</c>; a plain
/// TCP proxy passes the key through.</item>
/// <item>Which: PgBouncer answers a connection to its virtual database <c>pgbouncer</c> itself, with "not allowed" (08P01)
/// for an ordinary user or with <c>server_version</c> "1.18.0/bouncer" for its admin and stats users; PostgreSQL
/// would say the database does not exist.</item>
/// <item>Mode: two clients each hold a transaction, commit, and the first reads its backend pid again. Under session
/// pooling it never changes (the client owns its server connection); under transaction pooling it does; statement
/// pooling refuses the transaction block.</item>
/// </list>
/// Each look uses its own unpooled connection; nothing is changed on the server.
/// </summary>
internal static class PoolerDetector
{
    private const string AdminDatabase = "pgbouncer";

    /// <summary>How long the mode probe may wait for the pooler to lend a second server connection.</summary>
    private static readonly TimeSpan ModeProbeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Looks for a pooler on the path <paramref name="connectionString"/> leads to.</summary>
    /// <param name="connectionString">An Npgsql connection string (with its password; it is not displayed).</param>
    /// <param name="timeout">The most the whole detection may take.</param>
    /// <param name="configure">What every Npgsql builder of the application gets (a password provider, TLS callbacks); none when null.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <exception cref="NpgsqlException">The first connection could not be opened.</exception>
    public static async Task<PoolerInfo> DetectAsync(string connectionString, TimeSpan timeout, Action<NpgsqlDataSourceBuilder>? configure = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var settings = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            Timeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)),
            Multiplexing = false,
            // The probe's own statements repeat: automatic preparation would hit the very pooler it looks for.
            MaxAutoPrepare = 0,
            NoResetOnClose = true,
        };

        await using var looks = Build(settings, configure);
        await using var first = await looks.OpenConnectionAsync(deadline.Token).ConfigureAwait(false);
        var serverPid = await BackendPidAsync(first, deadline.Token).ConfigureAwait(false);
        if (serverPid == first.ProcessID)
        {
            return PoolerInfo.NotPresent(
                $"the connection was given the server's own backend id (pid {serverPid.ToString(CultureInfo.InvariantCulture)}): nothing multiplexes it");
        }

        var presence = $"the connection was given backend id {first.ProcessID.ToString(CultureInfo.InvariantCulture)}, the server says pid " +
                       $"{serverPid.ToString(CultureInfo.InvariantCulture)}: a pooler hands out keys of its own";
        var (name, version, identity) = await IdentifyAsync(settings, configure, deadline.Token).ConfigureAwait(false);
        var (mode, modeEvidence) = await ProbeModeAsync(first, looks, deadline.Token).ConfigureAwait(false);
        // The evidence may quote a server or driver message: never with the password in it.
        return new PoolerInfo(present: true, name, version, mode, SecretRedactor.Redact($"{presence}; {identity}; {modeEvidence}", settings.Password ?? ""));
    }

    /// <summary>An unpooled source for the looks: the application's builder settings, then the probe's own.</summary>
    private static NpgsqlDataSource Build(NpgsqlConnectionStringBuilder settings, Action<NpgsqlDataSourceBuilder>? configure, bool typeLoading = true)
    {
        var builder = new NpgsqlDataSourceBuilder(settings.ConnectionString);
        configure?.Invoke(builder);
        builder.ConnectionStringBuilder.Database = settings.Database;
        builder.ConnectionStringBuilder.Pooling = false;
        builder.ConnectionStringBuilder.MaxAutoPrepare = 0;
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        if (!typeLoading)
        {
            builder.ConfigureTypeLoading(t => t.EnableTypeLoading(false));
        }

        return builder.Build();
    }

    private static async Task<(string? Name, string? Version, string Evidence)> IdentifyAsync(NpgsqlConnectionStringBuilder settings,
        Action<NpgsqlDataSourceBuilder>? configure, CancellationToken cancellationToken)
    {
        var admin = new NpgsqlConnectionStringBuilder(settings.ConnectionString) { Database = AdminDatabase };
        await using var source = Build(admin, configure, typeLoading: false);
        try
        {
            await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var serverVersion = connection.PostgresParameters.GetValueOrDefault("server_version") ?? "";
            return serverVersion.EndsWith("/bouncer", StringComparison.Ordinal)
                ? ("PgBouncer", serverVersion[..^"/bouncer".Length], $"its admin console answered as PgBouncer {serverVersion}")
                : (null, null, $"a database named {AdminDatabase} answered (server_version {serverVersion}), not PgBouncer's console");
        }
        catch (PostgresException ex) when (ex.SqlState == "08P01" && ex.MessageText.Contains("not allowed", StringComparison.Ordinal))
        {
            return ("PgBouncer", null, $"PgBouncer's admin console refused this user ('not allowed'; add it to stats_users to let {nameof(PoolerDetector)} read the version)");
        }
        catch (PostgresException ex)
        {
            return (null, null, $"not PgBouncer: the '{AdminDatabase}' database is the server's ({ex.SqlState})");
        }
        catch (NpgsqlException ex)
        {
            return (null, null, $"could not ask for PgBouncer's admin console ({ex.Message})");
        }
    }

    /// <summary>
    /// Both clients hold a transaction at once (two server connections), both commit, and the first asks for its backend
    /// again. Under session pooling its server connection is its own for life: the pid never changes. Under transaction
    /// pooling it gets whichever is free, usually the other's: the pid changes. The commit order alternates between
    /// rounds, so a pooler that reuses the most recent connection and one that reuses the oldest are both caught; other
    /// traffic can hide a change in one round, hardly in three.
    /// </summary>
    private static async Task<(PoolingMode Mode, string Evidence)> ProbeModeAsync(NpgsqlConnection first, NpgsqlDataSource looks,
        CancellationToken cancellationToken)
    {
        var outerToken = cancellationToken;
        const int Rounds = 3;
        // A session pooler whose pool is full makes the second client wait for good: the probe gives up after a while
        // (a loaded pooler may take seconds to open a server connection), and the mode is then unknown.
        using var probeDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        probeDeadline.CancelAfter(ModeProbeTimeout);
        cancellationToken = probeDeadline.Token;
        await using var second = looks.CreateConnection();
        try
        {
            await second.OpenAsync(cancellationToken).ConfigureAwait(false);
            for (var round = 0; round < Rounds; round++)
            {
                var firstTransaction = await first.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                var held = await BackendPidAsync(first, cancellationToken).ConfigureAwait(false);
                var secondTransaction = await second.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await BackendPidAsync(second, cancellationToken).ConfigureAwait(false);
                var (commitFirst, commitSecond) = round % 2 == 0 ? (firstTransaction, secondTransaction) : (secondTransaction, firstTransaction);
                await commitFirst.CommitAsync(cancellationToken).ConfigureAwait(false);
                await commitSecond.CommitAsync(cancellationToken).ConfigureAwait(false);
                await firstTransaction.DisposeAsync().ConfigureAwait(false);
                await secondTransaction.DisposeAsync().ConfigureAwait(false);
                var now = await BackendPidAsync(first, cancellationToken).ConfigureAwait(false);
                if (now != held)
                {
                    return (PoolingMode.Transaction,
                        $"the first client's backend changed between two transactions (pid {held.ToString(CultureInfo.InvariantCulture)}, then " +
                        $"{now.ToString(CultureInfo.InvariantCulture)}) while it stayed connected: transaction pooling");
                }
            }

            return (PoolingMode.Session, $"the first client kept its server connection across {Rounds} rounds of transactions beside a second client: session pooling");
        }
        catch (PostgresException ex) when (ex.MessageText.Contains("statement pool", StringComparison.OrdinalIgnoreCase) ||
                                           ex.MessageText.Contains("transaction blocks not allowed", StringComparison.OrdinalIgnoreCase))
        {
            return (PoolingMode.Statement, $"a transaction block was refused ('{ex.MessageText}'): statement pooling");
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException && !outerToken.IsCancellationRequested)
        {
            return (PoolingMode.Unknown, $"the mode probe did not finish ({ex.GetType().Name}: {ex.Message}): the pooler's pool may be full");
        }
    }

    private static async Task<int> BackendPidAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }
}
