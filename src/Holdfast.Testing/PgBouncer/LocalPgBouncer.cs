using System.Globalization;
using System.Security.Cryptography;
using Npgsql;

namespace Holdfast.Testing;

/// <summary>
/// A throwaway PgBouncer in front of a <see cref="LocalPostgres"/>: the machine's <c>pgbouncer</c> (Debian's package) with
/// its own ini, userlist and log in a directory of its own, on a free port of 127.0.0.1, authenticating clients with
/// SCRAM against the test role's password and connecting to the server as that role. Its admin console is reached with
/// <c>psql</c> (it speaks only the simple query protocol). When this process is root, PgBouncer runs as the
/// <c>postgres</c> user. Dispose it to stop it and delete the directory; one left behind by a process that died is
/// removed at the next <see cref="CreateAsync"/>.
/// </summary>
/// <example>
/// <code>
/// await using var postgres = await LocalPostgres.CreateAsync();
/// await using var bouncer = await LocalPgBouncer.CreateAsync(postgres);     // transaction pooling
/// await using var dataSource = NpgsqlDataSource.Create(bouncer.ConnectionString);
/// var pools = await bouncer.ShowPoolsAsync();
/// </code>
/// </example>
public sealed partial class LocalPgBouncer : IAsyncDisposable
{
    /// <summary>The admin console's user (in <c>admin_users</c>; it exists only in PgBouncer's userlist).</summary>
    public const string AdminUser = "pgbouncer_admin";

    /// <summary>PgBouncer's own virtual database, its admin console.</summary>
    public const string AdminDatabase = "pgbouncer";

    /// <summary>The variable naming the <c>pgbouncer</c> program when it is not on the PATH.</summary>
    public const string ExecutableVariable = "HOLDFAST_PGBOUNCER";

    private const string DirectoryPrefix = "holdfast-pgbouncer-";
    private const string OwnerFile = "owner.pid";

    private readonly LocalPgBouncerOptions options;
    private readonly string executable;
    private readonly string adminPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
    private int disposed;

    private LocalPgBouncer(LocalPostgres backend, LocalPgBouncerOptions options, string executable, string rootDirectory, int port)
    {
        Backend = backend;
        this.options = options;
        this.executable = executable;
        RootDirectory = rootDirectory;
        Port = port;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>The server behind it.</summary>
    public LocalPostgres Backend { get; }

    /// <summary>The host to connect to: always 127.0.0.1.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The TCP port.</summary>
    public int Port { get; }

    /// <summary>The pool mode.</summary>
    public PgBouncerPoolMode PoolMode => options.PoolMode;

    /// <summary>Its own directory: <see cref="ConfigFile"/>, the userlist, <see cref="LogFile"/>, the pid file and the socket directory.</summary>
    public string RootDirectory { get; }

    /// <summary>The ini file it runs with.</summary>
    public string ConfigFile => Path.Combine(RootDirectory, "pgbouncer.ini");

    /// <summary>Its log.</summary>
    public string LogFile => Path.Combine(RootDirectory, "pgbouncer.log");

    private string PidFile => Path.Combine(RootDirectory, "pgbouncer.pid");

    private string SocketDirectory => Path.Combine(RootDirectory, "sock");

    private string UserListFile => Path.Combine(RootDirectory, "userlist.txt");

    /// <summary>True between a successful start and a stop.</summary>
    public bool IsRunning { get; private set; }

    /// <summary>An Npgsql connection string for the test role through PgBouncer.</summary>
    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Database = Backend.Database,
        Username = Backend.Username,
        Password = Backend.Password,
    }.ConnectionString;

    /// <summary>A <c>postgres://</c> URL for the test role through PgBouncer.</summary>
    public string DatabaseUrl => Backend.DatabaseUrlVia(Port);

    /// <summary>Creates the configuration and starts PgBouncer in front of <paramref name="backend"/>.</summary>
    /// <param name="backend">The server; its test role and database are what clients reach.</param>
    /// <param name="options">How to run it; defaults (transaction pooling, 5 server connections) when null.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="InvalidOperationException">PgBouncer is not installed (run scripts/setup) or did not start.</exception>
    public static async Task<LocalPgBouncer> CreateAsync(LocalPostgres backend, LocalPgBouncerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        options ??= new LocalPgBouncerOptions();
        var executable = LocateExecutable(options.Executable);
        var baseDirectory = Path.GetDirectoryName(backend.RootDirectory)!;
        RemoveAbandoned(baseDirectory);
        var root = Path.Combine(baseDirectory, DirectoryPrefix + Guid.NewGuid().ToString("N")[..12]);
        var bouncer = new LocalPgBouncer(backend, options, executable, root, options.Port > 0 ? options.Port : LocalResources.FreePort());
        try
        {
            await bouncer.WriteFilesAsync(cancellationToken);
            await bouncer.StartAsync(cancellationToken);
            return bouncer;
        }
        catch
        {
            await bouncer.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts PgBouncer (again) and waits until it accepts connections.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        // Ready when its log says it listens: connecting to the port to find out could reach whatever else took the port
        // meanwhile (another test's proxy), and count as that one's client.
        var started = CountListening();
        await PostgresTools.RunAsServiceUserAsync(executable, ["-d", "-q", ConfigFile], options.StartTimeout, cancellationToken);
        var deadline = TimeProvider.System.GetUtcNow() + options.StartTimeout;
        while (CountListening() <= started || ReadPid(PidFile) is null)
        {
            if (TimeProvider.System.GetUtcNow() > deadline)
            {
                throw new InvalidOperationException($"PgBouncer did not accept connections on {Host}:{Port} within {options.StartTimeout.TotalSeconds:0} s. Its log:\n{ReadLog()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System, cancellationToken);
        }

        IsRunning = true;
    }

    /// <summary>
    /// Stops PgBouncer at once (SIGTERM: every client and server connection is closed, as when its pod is killed) and
    /// waits until the process is gone; does nothing when it is not running.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        await StopProcessAsync(PidFile, cancellationToken);
        IsRunning = false;
    }

    /// <summary>Stops PgBouncer, stays down for <paramref name="downtime"/>, and starts it again on the same port.</summary>
    /// <param name="downtime">How long it stays down.</param>
    /// <param name="cancellationToken">Cancels the restart.</param>
    public async Task RestartAsync(TimeSpan downtime = default, CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken);
        if (downtime > TimeSpan.Zero)
        {
            await Task.Delay(downtime, TimeProvider.System, cancellationToken);
        }

        await StartAsync(cancellationToken);
    }

    /// <summary>
    /// <c>PAUSE</c>: PgBouncer waits for the server connections in use to be released, closes them, and holds every new
    /// query until <see cref="ResumeAsync"/> (as for a maintenance on the server). Returns once paused.
    /// </summary>
    /// <param name="cancellationToken">Cancels it.</param>
    public Task PauseAsync(CancellationToken cancellationToken = default) =>
        AdminCommandAsync($"PAUSE {Backend.Database}", cancellationToken);

    /// <summary><c>RESUME</c>: held queries go on.</summary>
    /// <param name="cancellationToken">Cancels it.</param>
    public Task ResumeAsync(CancellationToken cancellationToken = default) =>
        AdminCommandAsync($"RESUME {Backend.Database}", cancellationToken);

    /// <summary>PgBouncer's <c>SHOW POOLS</c>, one row per database and user.</summary>
    /// <param name="cancellationToken">Cancels it.</param>
    public async Task<IReadOnlyList<PgBouncerPool>> ShowPoolsAsync(CancellationToken cancellationToken = default)
    {
        var rows = await AdminQueryAsync("SHOW POOLS", cancellationToken);
        return rows.Select(r => new PgBouncerPool(
            r["database"], r["user"], Int(r, "cl_active"), Int(r, "cl_waiting"), Int(r, "sv_active"), Int(r, "sv_idle"),
            Int(r, "sv_used"), Int(r, "maxwait"), r.GetValueOrDefault("pool_mode", ""))).ToList();
    }

    /// <summary>Runs an admin console command (e.g. <c>SHOW CONFIG</c>) and returns its rows, column name to value.</summary>
    /// <param name="command">The command.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, string>>> AdminQueryAsync(string command, CancellationToken cancellationToken = default)
    {
        var output = await AdminCommandAsync(command, cancellationToken);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0)
        {
            return [];
        }

        var header = lines[0].Split(',');
        return lines.Skip(1)
            .Select(line => line.Split(','))
            .Where(cells => cells.Length == header.Length)
            .Select(cells => (IReadOnlyDictionary<string, string>)header.Zip(cells).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal))
            .ToList();
    }

    /// <summary>
    /// A connection string for the admin console (database <see cref="AdminDatabase"/>, user <see cref="AdminUser"/>), for
    /// tools that speak the simple query protocol. Npgsql cannot run its commands: it uses the extended protocol.
    /// </summary>
    public string AdminConnectionString =>
        $"host={Host} port={Port} dbname={AdminDatabase} user={AdminUser} password={adminPassword} application_name={LocalPostgres.ControlApplicationName}";

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        try
        {
            await StopProcessAsync(PidFile, CancellationToken.None);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // Could not be stopped: the directory is removed below either way.
        }

        IsRunning = false;
        LocalResources.DeleteDirectory(RootDirectory);
    }

    private async Task<string> AdminCommandAsync(string command, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var psql = Path.Combine(PostgresTools.Locate(null).BinDirectory, "psql");
        return await PostgresTools.RunProcessAsync(psql,
            ["-X", "-q", "--csv", "-h", Host, "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", AdminUser, "-d", AdminDatabase, "-c", command],
            TimeSpan.FromSeconds(30), cancellationToken,
            new Dictionary<string, string> { ["PGPASSWORD"] = adminPassword, ["PGAPPNAME"] = LocalPostgres.ControlApplicationName, ["PGCONNECT_TIMEOUT"] = "10" });
    }

    private async Task WriteFilesAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(RootDirectory);
        Directory.CreateDirectory(SocketDirectory);
        await File.WriteAllTextAsync(Path.Combine(RootDirectory, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), cancellationToken);
        await File.WriteAllTextAsync(UserListFile,
            $"{Quote(Backend.Username)} {Quote(Backend.Password)}\n{Quote(AdminUser)} {Quote(adminPassword)}\n", cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(UserListFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var server = $"host={Backend.Host} port={Backend.Port.ToString(CultureInfo.InvariantCulture)}";
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["listen_addr"] = Host,
            ["listen_port"] = Port.ToString(CultureInfo.InvariantCulture),
            ["unix_socket_dir"] = SocketDirectory,
            ["auth_type"] = "scram-sha-256",
            ["auth_file"] = UserListFile,
            ["admin_users"] = AdminUser,
            ["pool_mode"] = options.PoolMode.ToString().ToLowerInvariant(),
            ["default_pool_size"] = options.DefaultPoolSize.ToString(CultureInfo.InvariantCulture),
            ["max_client_conn"] = options.MaxClientConnections.ToString(CultureInfo.InvariantCulture),
            ["max_db_connections"] = options.MaxDatabaseConnections.ToString(CultureInfo.InvariantCulture),
            ["ignore_startup_parameters"] = "extra_float_digits",
            ["logfile"] = LogFile,
            ["pidfile"] = PidFile,
            // PgBouncer waits server_login_retry (15 s by default) after a failed server login; 1 s finds a restarted server quickly.
            ["server_login_retry"] = "1",
        };
        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }

        var ini = $"[databases]\n{Backend.Database} = {server} dbname={Backend.Database}\n* = {server}\n\n[pgbouncer]\n" +
                  string.Concat(settings.Select(s => $"{s.Key} = {s.Value}\n"));
        await File.WriteAllTextAsync(ConfigFile, ini, cancellationToken);
        await PostgresTools.GiveToServiceUserAsync(RootDirectory, cancellationToken);
    }

    private int CountListening()
    {
        var line = $"LOG listening on {Host}:{Port.ToString(CultureInfo.InvariantCulture)}";
        try
        {
            return File.Exists(LogFile) ? File.ReadLines(LogFile).Count(l => l.Contains(line, StringComparison.Ordinal)) : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private string ReadLog()
    {
        try
        {
            return File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no log)";
        }
        catch (IOException)
        {
            return "(log unreadable)";
        }
    }

    private static string Quote(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static int Int(IReadOnlyDictionary<string, string> row, string column) =>
        row.TryGetValue(column, out var value) && int.TryParse(value, CultureInfo.InvariantCulture, out var n) ? n : 0;
}
