using System.Globalization;
using System.Security.Cryptography;
using Npgsql;

namespace Holdfast.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster for tests: <c>initdb</c> and <c>postgres</c> from this machine's PostgreSQL,
/// in a directory of its own, on a free port of 127.0.0.1 and its own socket directory, with SCRAM password
/// authentication for a test role. When this process is root, the server runs as the <c>postgres</c> user. <c>initdb</c>
/// runs once per process; each cluster starts as a copy of that fresh data directory.
/// Dispose it to stop the server and delete the directory; a cluster whose owning process died is removed
/// at the next <see cref="CreateAsync"/>.
/// </summary>
/// <example>
/// <code>
/// await using var postgres = await LocalPostgres.CreateAsync();
/// await using var dataSource = NpgsqlDataSource.Create(postgres.ConnectionString);
/// </code>
/// </example>
public sealed partial class LocalPostgres : IAsyncDisposable
{
    /// <summary>The application name of the connections <see cref="LocalPostgres"/> itself opens.</summary>
    public const string ControlApplicationName = "holdfast-localpostgres";

    private const string SuperuserName = "holdfast_superuser";
    private const string DirectoryPrefix = "holdfast-pg-";
    private const string OwnerFile = "owner.pid";

    private readonly PostgresTools tools;
    private readonly LocalPostgresOptions options;
    private readonly string superuserPassword;
    private int disposed;

    private LocalPostgres(PostgresTools tools, LocalPostgresOptions options, string rootDirectory, int port, LocalPostgres? cloneOf = null,
        string? superuserPassword = null)
    {
        this.tools = tools;
        this.options = options;
        RootDirectory = rootDirectory;
        Port = port;
        Password = cloneOf?.Password ?? options.Password ?? NewPassword();
        this.superuserPassword = cloneOf?.superuserPassword ?? superuserPassword ?? NewPassword();
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>The host to connect to: always 127.0.0.1.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The TCP port.</summary>
    public int Port { get; }

    /// <summary>The cluster's own directory, holding <see cref="DataDirectory"/>, <see cref="SocketDirectory"/> and <see cref="LogFile"/>.</summary>
    public string RootDirectory { get; }

    /// <summary>The data directory (PGDATA).</summary>
    public string DataDirectory => Path.Combine(RootDirectory, "data");

    /// <summary>The Unix socket directory; the socket file is <c>.s.PGSQL.{Port}</c>.</summary>
    public string SocketDirectory => Path.Combine(RootDirectory, "sock");

    /// <summary>The server log.</summary>
    public string LogFile => Path.Combine(RootDirectory, "postgres.log");

    /// <summary>The test role's database.</summary>
    public string Database => options.Database;

    /// <summary>The test role.</summary>
    public string Username => options.Username;

    /// <summary>The test role's password.</summary>
    public string Password { get; }

    /// <summary>The server's <c>max_connections</c>.</summary>
    public int MaxConnections => options.MaxConnections;

    /// <summary>True between a successful start and a stop.</summary>
    public bool IsRunning { get; private set; }

    /// <summary>An Npgsql connection string for the test role over TCP.</summary>
    public string ConnectionString => CreateConnectionStringBuilder().ConnectionString;

    /// <summary>A <c>postgres://</c> URL for the test role over TCP, user and password percent-encoded.</summary>
    public string DatabaseUrl => DatabaseUrlVia(Port);

    /// <summary>
    /// A <c>DATABASE_URL</c> for this cluster's role and database on another loopback port (a <see cref="FaultProxy"/>
    /// in front of it, or a port nothing listens on), optionally for another database.
    /// </summary>
    /// <param name="port">The port to connect to.</param>
    /// <param name="database">The database; this cluster's when null.</param>
    public string DatabaseUrlVia(int port, string? database = null) =>
        $"postgres://{Uri.EscapeDataString(Username)}:{Uri.EscapeDataString(Password)}@{Host}:{port}/{Uri.EscapeDataString(database ?? Database)}";

    /// <summary>Creates, starts and prepares a cluster.</summary>
    /// <param name="options">How to create it; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<LocalPostgres> CreateAsync(LocalPostgresOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalPostgresOptions();
        var tools = PostgresTools.Locate(options.BinDirectory);
        var baseDirectory = Path.GetFullPath(options.BaseDirectory ?? Path.GetTempPath());
        Directory.CreateDirectory(baseDirectory);
        RemoveAbandoned(tools, baseDirectory);

        var template = await TemplateAsync(tools, baseDirectory).WaitAsync(cancellationToken);
        var postgres = new LocalPostgres(tools, options, NewRootDirectory(baseDirectory), options.Port > 0 ? options.Port : LocalResources.FreePort(),
            superuserPassword: template.SuperuserPassword);
        try
        {
            await postgres.InitializeAsync(template, cancellationToken);
            await postgres.StartAsync(cancellationToken);
            await postgres.CreateTestRoleAsync(cancellationToken);
            return postgres;
        }
        catch
        {
            await postgres.DisposeAsync();
            throw;
        }
    }

    /// <summary>An Npgsql connection string builder for the test role over TCP.</summary>
    /// <param name="applicationName">The application name; none when null.</param>
    public NpgsqlConnectionStringBuilder CreateConnectionStringBuilder(string? applicationName = null) => new()
    {
        Host = Host,
        Port = Port,
        Database = Database,
        Username = Username,
        Password = Password,
        ApplicationName = applicationName,
    };

    /// <summary>Starts the server (again) and waits until it accepts connections.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        await tools.RunAsync("pg_ctl",
            ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", Seconds(options.StartTimeout), "-s"],
            options.StartTimeout + TimeSpan.FromSeconds(10), cancellationToken);
        IsRunning = true;
    }

    /// <summary>Stops the server (<c>pg_ctl stop</c>) and waits until it is down; does nothing when it is not running.</summary>
    /// <param name="mode">How to shut down; <see cref="ShutdownMode.Smart"/> waits for sessions to end.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task StopAsync(ShutdownMode mode = ShutdownMode.Fast, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        if (!File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            IsRunning = false;
            return;
        }

        await tools.RunAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", mode.ToString().ToLowerInvariant(), "-w", "-t", "60", "-s"],
            TimeSpan.FromSeconds(70), cancellationToken);
        IsRunning = false;
    }

    /// <summary>Begins a shutdown without waiting for it to finish (<c>pg_ctl stop -W</c>), e.g. a smart shutdown with sessions open.</summary>
    /// <param name="mode">How to shut down.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task BeginStopAsync(ShutdownMode mode, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        await tools.RunAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", mode.ToString().ToLowerInvariant(), "-W", "-s"],
            TimeSpan.FromSeconds(30), cancellationToken);
    }

    /// <summary>Stops the server (if running), stays down for <paramref name="downtime"/>, and starts it again.</summary>
    /// <param name="downtime">How long the server stays down.</param>
    /// <param name="mode">How to shut down.</param>
    /// <param name="cancellationToken">Cancels the restart.</param>
    public async Task RestartAsync(TimeSpan downtime = default, ShutdownMode mode = ShutdownMode.Fast, CancellationToken cancellationToken = default)
    {
        await StopAsync(mode, cancellationToken);
        if (downtime > TimeSpan.Zero)
        {
            await Task.Delay(downtime, TimeProvider.System, cancellationToken);
        }

        await StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        NpgsqlConnection.ClearAllPools();
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await tools.RunAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "30", "-s"],
                    TimeSpan.FromSeconds(40), CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // Already stopped, or stop failed: the directory is removed below either way.
        }

        IsRunning = false;
        authority?.Dispose();
        LocalResources.DeleteDirectory(RootDirectory);
    }

    private static string NewRootDirectory(string baseDirectory) =>
        Path.Combine(baseDirectory, DirectoryPrefix + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>Creates the cluster's own directory, its socket directory and the owner file that lets a later run clean up.</summary>
    private async Task CreateRootAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(RootDirectory);
        Directory.CreateDirectory(SocketDirectory);
        await File.WriteAllTextAsync(Path.Combine(RootDirectory, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), cancellationToken);
    }

    /// <summary>The cluster's directories and a data directory copied from <paramref name="template"/>, with this cluster's settings.</summary>
    private async Task InitializeAsync(ClusterTemplate template, CancellationToken cancellationToken)
    {
        await CopyTemplateAsync(template, cancellationToken);
        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), ServerSettings(), cancellationToken);
        if (options.Tls is { } tls)
        {
            await WriteTlsAsync(tls, cancellationToken);
        }
    }

    private string ServerSettings()
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["listen_addresses"] = "'127.0.0.1'",
            ["port"] = Port.ToString(CultureInfo.InvariantCulture),
            ["unix_socket_directories"] = $"'{SocketDirectory}'",
            ["max_connections"] = options.MaxConnections.ToString(CultureInfo.InvariantCulture),
            ["superuser_reserved_connections"] = options.SuperuserReservedConnections.ToString(CultureInfo.InvariantCulture),
            ["max_wal_senders"] = options.AllowStandbys ? "5" : "0",
            ["wal_level"] = options.AllowStandbys ? "replica" : "minimal",
            ["wal_keep_size"] = options.AllowStandbys ? "'128MB'" : "0",
            ["fsync"] = "off",
            ["synchronous_commit"] = "off",
            ["full_page_writes"] = "off",
            ["shared_buffers"] = "16MB",
            ["lc_messages"] = "'C'",
        };
        if (options.Tls is not null)
        {
            settings["ssl"] = "on";
        }

        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }

        return ConfigSection(settings);
    }

    private static string ConfigSection(IEnumerable<KeyValuePair<string, string>> settings) =>
        Environment.NewLine + "# Holdfast LocalPostgres" + Environment.NewLine +
        string.Concat(settings.Select(s => $"{s.Key} = {s.Value}{Environment.NewLine}"));

    private async Task CreateTestRoleAsync(CancellationToken cancellationToken)
    {
        var role = QuoteIdentifier(Username);
        await ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD {QuoteLiteral(Password)}", cancellationToken);
        await ExecuteAsync($"CREATE DATABASE {QuoteIdentifier(Database)} OWNER {role}", cancellationToken);
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        tools.RunBlocking("pg_ctl", ["stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "10", "-s"], TimeSpan.FromSeconds(15));
        LocalResources.DeleteDirectory(RootDirectory);
    }

    /// <summary>Removes clusters in <paramref name="baseDirectory"/> whose owning process no longer runs.</summary>
    private static void RemoveAbandoned(PostgresTools tools, string baseDirectory)
    {
        foreach (var directory in Directory.EnumerateDirectories(baseDirectory, DirectoryPrefix + "*"))
        {
            if (!LocalResources.IsAbandoned(directory, OwnerFile))
            {
                continue;
            }

            var data = Path.Combine(directory, "data");
            if (File.Exists(Path.Combine(data, "postmaster.pid")))
            {
                tools.RunBlocking("pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w", "-t", "10", "-s"], TimeSpan.FromSeconds(15));
            }

            LocalResources.DeleteDirectory(directory);
        }
    }

    private static string NewPassword() =>
        $"hf-{Convert.ToHexString(RandomNumberGenerator.GetBytes(6))}@:/%{Convert.ToHexString(RandomNumberGenerator.GetBytes(6))}";

    private static string Seconds(TimeSpan value) => Math.Ceiling(value.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string QuoteLiteral(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
