using System.Data.Common;
using Holdfast.Resilience;
using Holdfast.Telemetry;
using Holdfast.Timeouts;
using Holdfast.Tls;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Holdfast;

/// <summary>
/// A guarded <see cref="NpgsqlDataSource"/>: opens and idempotent operations go through one Polly pipeline (total
/// budget → retry of transient kinds → circuit → adaptive per-attempt timeout); while the circuit is closed, the rental
/// of an idle pooled connection skips it, and <c>ExecuteAsync</c> keeps its own deadlines (connect, then the operation
/// budget). The circuit opens after consecutive connection-level failures and releases every waiting caller. Permanent failures
/// (authentication, missing database) fail after one attempt with the fix in the message; pool exhaustion is
/// reported as such and not retried; while the circuit is open callers get <see cref="DatabaseUnavailableException"/>
/// at once, and a background probe closes it as soon as the database answers.
/// </summary>
/// <example>
/// <code>
/// await using var db = HoldfastDataSource.Create(configuration);          // DATABASE_URL, POSTGRES_*, ...
/// await using var connection = await db.OpenConnectionAsync(ct);
/// var count = await db.ExecuteAsync(async (c, t) =>                       // idempotent: retried as a whole
///     (long)(await new NpgsqlCommand("SELECT count(*) FROM accounts", c).ExecuteScalarAsync(t))!, ct);
/// </code>
/// </example>
public sealed partial class HoldfastDataSource : DbDataSource
{
    /// <summary>How much longer than the pool timeout a pool wait may run, so Npgsql reports exhaustion itself.</summary>
    private static readonly TimeSpan PoolSlack = TimeSpan.FromSeconds(2);

    private const int KeepAliveIdleSeconds = 10;
    private const int KeepAliveIntervalSeconds = 2;

    private readonly NpgsqlDataSourceBuilder npgsqlBuilder;
    private readonly string innerConnectionString;
    private readonly NpgsqlDataSource probeSource;
    private readonly ILogger logger;
    private readonly CancellationTokenSource lifetime = new();
    private NpgsqlDataSource inner;
    private readonly GuardedPipeline guard;
    private readonly NpgsqlPoolObserver.PoolState pool;
    private readonly ConnectLatencyWindow window = new();
    private readonly AlertMonitor alerts;
    private readonly HoldfastDataSourceOptions options;
    private readonly HoldfastInstruments instruments;
    private readonly TimeProvider time;
    private readonly TlsExplainer tlsExplainer;
    private readonly PasswordCache? passwords;
    private readonly int maxPoolSize;
    private readonly KeyValuePair<string, object?> sourceTag;
    private readonly KeyValuePair<string, object?> poolTag;
    private readonly IDisposable pendingGauge;
    private readonly IDisposable thresholdGauge;
    private TimeoutProfile effective;
    private int disposed;

    /// <summary>Callers in a guarded attempt waiting for a connection now (<c>db.client.connection.pending_requests</c>).</summary>
    private int waitingForConnection;

    internal HoldfastDataSource(DatabaseEndpoint endpoint, NpgsqlDataSourceBuilder npgsql, HoldfastDataSourceOptions options)
    {
        if (options.PasswordProvider is not null && endpoint.HasPassword)
        {
            // Before anything is registered (the pool's name), so a corrected retry starts clean.
            throw new HoldfastConfigurationException(endpoint.SourceName, "gives a password, and a password provider is set too",
                "remove the password from the connection settings: the provider gives each connection its token");
        }

        Endpoint = endpoint;
        this.options = options;
        time = options.TimeProvider;
        tlsExplainer = new TlsExplainer(endpoint, time);
        Timeouts = options.Timeouts ?? HoldfastTimeouts.Resolve(new ConfigurationBuilder().AddEnvironmentVariables().Build(), endpoint);
        effective = PressureAwareTimeouts.Apply(Timeouts.Profile, options.Pressure, null, options.PressureCeiling);
        instruments = options.Instruments ?? HoldfastInstruments.Shared;
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        logger = loggerFactory.CreateLogger("Holdfast");

        var settings = npgsql.ConnectionStringBuilder;
        settings.Timeout = DatabaseEndpoint.ToNpgsqlTimeoutSeconds(Max(Timeouts.Profile.Pool, Timeouts.Profile.Connection));
        settings.TcpKeepAlive = true;
        if (settings.TcpKeepAliveTime == 0)
        {
            // An idle pooled connection whose path died is found in ~25 s (10 s idle, then probes every 2 s), not Linux's 2 h.
            settings.TcpKeepAliveTime = KeepAliveIdleSeconds;
            settings.TcpKeepAliveInterval = KeepAliveIntervalSeconds;
        }

        maxPoolSize = settings.MaxPoolSize;
        JitterLifetimes(settings, Random.Shared.NextDouble);
        pool = ObservePool(options.Name ?? settings.ApplicationName ?? DatabaseEndpoint.DefaultApplicationName, explicitName: options.Name is not null);
        Name = pool.PoolName;
        sourceTag = new KeyValuePair<string, object?>(HoldfastInstruments.DataSourceTag, Name);
        poolTag = new KeyValuePair<string, object?>(HoldfastInstruments.PoolNameTag, Name);
        pendingGauge = instruments.TrackPending(Name, () => Volatile.Read(ref waitingForConnection));
        npgsql.Name = Name;
        if (options.LoggerFactory is not null)
        {
            npgsql.UseLoggerFactory(options.LoggerFactory);
        }

        if (options.PasswordProvider is { } passwordProvider)
        {

            passwords = new PasswordCache(passwordProvider, options.PasswordRefreshInterval, time);
        }

        NpgsqlHook = ComposeHook(options.ConfigureNpgsql, passwords);
        pooler = ApplyDeclaredPooler(options.Pooler, settings);
        // Side pools start from this and run the application's hook themselves: captured before it, so it applies once.
        innerConnectionString = settings.ConnectionString;
        if (NpgsqlHook is { } configure)
        {
            configure(npgsql);
            // Holdfast's own: the pool's name keys its metrics, and a declared transaction pooler needs its settings.
            npgsql.Name = Name;
            ApplyDeclaredPooler(options.Pooler, settings);
        }

        npgsqlBuilder = npgsql;
        inner = npgsql.Build();
        probeSource = CreateSideBuilder("-recovery", probe => probe.Pooling = false).Build();

        var rules = options.AlertRules.Count > 0 ? options.AlertRules : [AlertRule.ConnectTimeFor(Timeouts.Environment)];
        var sinks = options.AlertSinks.Count > 0 ? options.AlertSinks
            : options.LoggerFactory is not null ? [new LoggingAlertSink(logger)] : [];
        alerts = new AlertMonitor(rules, sinks, time, logger, OnAlert);
        thresholdGauge = instruments.TrackThresholds(Name, alerts.Rules, options.Tls.CertificateExpiryWarning);
        Certificate = new CertificateWatch(endpoint, options.Tls, time, alerts, instruments, logger, Name, lifetime.Token);
        History = new LatencyHistory(time);
        pool.ConnectCreated += OnConnectCreated;

        guard = new GuardedPipeline(new GuardedPipelineSettings
        {
            Name = Name,
            Options = options,
            PoolSize = maxPoolSize,
            Endpoint = endpoint,
            AttemptTimeout = AttemptTimeoutFor,
            Budget = BudgetFor,
            RecoveryProbe = ProbeAsync,
            OnFailure = OnFailure,
            OnCircuitOpened = () => Volatile.Read(ref inner).Clear(),
            KnownWithoutPooler = () => Volatile.Read(ref pooler) is { Present: false },
            RefreshCredentials = passwords is null ? null : passwords.Refresh,
            Instruments = instruments,
            Logger = logger,
        });
    }

    /// <summary>The options the data source was built with.</summary>
    public HoldfastDataSourceOptions Options => options;

    /// <summary>
    /// What every Npgsql builder Holdfast makes for this source gets: the application's <see cref="HoldfastDataSourceOptions.ConfigureNpgsql"/>,
    /// then the password provider behind its cache; null when there is neither.
    /// </summary>
    internal Action<NpgsqlDataSourceBuilder>? NpgsqlHook { get; }

    /// <summary>The data source's name: Npgsql's pool name and the <c>holdfast.data_source</c> tag.</summary>
    public string Name { get; }

    /// <summary>Where the database is (redacted when displayed).</summary>
    public DatabaseEndpoint Endpoint { get; }

    /// <summary>The configured timeouts, with their sources.</summary>
    public HoldfastTimeouts Timeouts { get; }

    /// <summary>The timeouts in force now: configured, stretched by explicit and measured pressure.</summary>
    public TimeoutProfile EffectiveTimeouts => Volatile.Read(ref effective);

    /// <summary>
    /// The unguarded Npgsql data source underneath (e.g. for an ORM); calls on it bypass the guard. Read it when you use
    /// it rather than keeping it: when a detected pooler needs other Npgsql settings (<see cref="DetectPoolerAsync"/>), it
    /// is replaced once, and the old one no longer opens connections once this data source is disposed.
    /// </summary>
    public NpgsqlDataSource Inner => Volatile.Read(ref inner);

    /// <summary>The circuit breaker's state, failures and time to the next probe.</summary>
    public CircuitStatus Status => guard.Status;

    /// <summary>Recent physical connect latency.</summary>
    public LatencySnapshot ConnectLatency => window.Current;

    /// <summary>Connect latency over the last 24 hours, for summaries and trends.</summary>
    public LatencyHistory History { get; }

    /// <summary>The pool as Npgsql's metrics report it now (polls Npgsql's meter: for health and monitoring, not hot paths).</summary>
    public PoolUsage PoolUsage
    {
        get
        {
            var (idle, busy, max) = pool.ReadUsage();
            return new PoolUsage(idle, busy, max, pool.Pending);
        }
    }

    /// <summary>Alerts currently above normal.</summary>
    public IReadOnlyList<HoldfastAlert> ActiveAlerts => alerts.Active;

    /// <summary>Paces connection attempts while the path fails (the health probe goes through it too); null when pacing is off.</summary>
    internal ConnectPacer? Pacer => guard.Pacer;

    /// <summary>The watch on the server's TLS certificate (what <c>/health</c> and the dashboard show of it).</summary>
    internal CertificateWatch Certificate { get; }

    /// <summary>The alert rules evaluated on each connect (the environment's connect-time rule unless set).</summary>
    internal IReadOnlyList<AlertRule> AlertRules => alerts.Rules;

    /// <summary>The instruments this source reports to.</summary>
    internal HoldfastInstruments Instruments => instruments;

    /// <summary>Creates a guarded data source for an endpoint.</summary>
    /// <param name="endpoint">Where the database is.</param>
    /// <param name="options">How to guard it; defaults when null.</param>
    public static HoldfastDataSource Create(DatabaseEndpoint endpoint, HoldfastDataSourceOptions? options = null)
    {
        var builder = new HoldfastDataSourceBuilder(endpoint);
        return (options is null ? builder : builder.UseOptions(options)).Build();
    }

    /// <summary>Creates a guarded data source from a URL or connection string.</summary>
    /// <param name="connection">A <c>postgres://</c> URL or an Npgsql connection string.</param>
    /// <param name="options">How to guard it; defaults when null.</param>
    public static HoldfastDataSource Create(string connection, HoldfastDataSourceOptions? options = null) =>
        Create(DatabaseEndpoint.Parse(connection), options);

    /// <summary>
    /// Creates a guarded data source from configuration: the endpoint (ConnectionStrings:Database, DATABASE_URL,
    /// POSTGRES_*), the environment's timeouts with overrides (validated against the floors), and pressure indicators.
    /// </summary>
    /// <param name="configuration">The configuration.</param>
    /// <exception cref="HoldfastConfigurationException">The configuration is missing or invalid.</exception>
    public static HoldfastDataSource Create(IConfiguration configuration) => new HoldfastDataSourceBuilder(configuration).Build();

    /// <summary>The per-attempt connect timeout attempt <paramref name="attempt"/> (from 0) would get now.</summary>
    /// <param name="attempt">Which attempt.</param>
    public TimeSpan AttemptTimeout(int attempt = 0) => AttemptTimeoutFor(PipelineKeys.Open, attempt);

    /// <summary>How each effective timeout was reached: base, explicit pressure, measured p95, ceiling, final.</summary>
    public IReadOnlyList<TimeoutExplanation> ExplainTimeouts() =>
        PressureAwareTimeouts.Explain(Timeouts.Profile, options.Pressure, window.Current, options.PressureCeiling);

    /// <summary>Opens the circuit by hand (e.g. for maintenance); calls are refused until <see cref="CloseCircuitAsync"/>.</summary>
    public Task IsolateCircuitAsync() => guard.IsolateAsync();

    /// <summary>Closes the circuit by hand.</summary>
    public Task CloseCircuitAsync() => guard.CloseAsync();

    /// <summary>
    /// A builder for one of Holdfast's own pools beside the main one (recovery probe, health probe, admin pool, pooler
    /// check): the main pool's settings and credentials, then the user's <see cref="HoldfastDataSourceOptions.ConfigureNpgsql"/>
    /// (password provider, TLS, type mappings), then the side pool's own <paramref name="settings"/>, named after this
    /// source plus <paramref name="suffix"/>.
    /// </summary>
    internal NpgsqlDataSourceBuilder CreateSideBuilder(string suffix, Action<NpgsqlConnectionStringBuilder> settings)
    {
        var builder = new NpgsqlDataSourceBuilder(innerConnectionString);
        NpgsqlHook?.Invoke(builder);
        settings(builder.ConnectionStringBuilder);
        builder.Name = Name + suffix;
        if (options.LoggerFactory is { } loggerFactory)
        {
            builder.UseLoggerFactory(loggerFactory);
        }

        return builder;
    }

    /// <summary>Disposes the guard, the pools and the probes; connections still rented close when returned.</summary>
    protected override async ValueTask DisposeAsyncCore()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        pool.ConnectCreated -= OnConnectCreated;
        lock (swapGate)
        {
            // A barrier: an adaptation under way finishes its swap first; any later one sees 'disposed' and builds nothing.
        }

        await lifetime.CancelAsync().ConfigureAwait(false);
        await StopPoolerWorkAsync().ConfigureAwait(false);
        await guard.DisposeAsync().ConfigureAwait(false);
        Certificate.Dispose();
        await alerts.DisposeAsync().ConfigureAwait(false);
        await Inner.DisposeAsync().ConfigureAwait(false);
        await probeSource.DisposeAsync().ConfigureAwait(false);
        pool.Dispose();
        pendingGauge.Dispose();
        thresholdGauge.Dispose();
        lifetime.Dispose();
    }

    private static NpgsqlPoolObserver.PoolState ObservePool(string baseName, bool explicitName)
    {
        for (var n = 1; ; n++)
        {
            try
            {
                return NpgsqlPoolObserver.Observe(n == 1 ? baseName : $"{baseName}#{n}");
            }
            catch (InvalidOperationException) when (!explicitName)
            {
            }
        }
    }

    private TimeSpan AttemptTimeoutFor(string operation, int attempt)
    {
        var profile = Volatile.Read(ref effective);
        if (operation != PipelineKeys.Probe && pool.Pending > 0)
        {
            // Callers queue for a pooled connection: wait the pool timeout, and let Npgsql say "exhausted".
            return profile.Pool + PoolSlack;
        }

        return AttemptTimeouts.For(attempt, profile.Connection, window.Current, options.AttemptTimeout);
    }

    private TimeSpan BudgetFor(string operation)
    {
        if (operation == PipelineKeys.Execute)
        {
            return options.OperationBudget ?? Volatile.Read(ref effective).Operation;
        }

        if (options.OpenBudget is { } budget)
        {
            return budget;
        }

        var profile = Volatile.Read(ref effective);
        return Max(profile.Pool, profile.Connection) + PoolSlack;
    }

    private static Action<NpgsqlDataSourceBuilder>? ComposeHook(Action<NpgsqlDataSourceBuilder>? configure, PasswordCache? passwords) =>
        passwords is null ? configure : builder =>
        {
            configure?.Invoke(builder);
            builder.UsePasswordProvider(passwords.Get, passwords.GetAsync);
        };

    private void OnConnectCreated(TimeSpan duration)
    {
        passwords?.OnSuccess();
        window.Record(duration, time.GetUtcNow());
        History.RecordSuccess(duration);
        instruments.ConnectDuration.Record(duration.TotalSeconds, poolTag);
        Volatile.Write(ref effective, PressureAwareTimeouts.Apply(Timeouts.Profile, options.Pressure, window.Current, options.PressureCeiling));
        alerts.Observe(duration, Name);
    }

    private void OnFailure(DatabaseFailure failure, FailureOperation operation)
    {
        if (operation == FailureOperation.Connect)
        {
            History.RecordFailure();
        }

        if (failure.Kind == FailureKind.Failover)
        {
            // Npgsql remembers each host's role for Host Recheck Seconds (10 s): a promoted standby would be skipped that
            // long. Forget it, so the retry looks at every host again.
            ForgetHostStates(Inner);
            if (failure.SqlState == "25006")
            {
                // The pooled connections lead to a read-only server: none of them can write.
                Inner.Clear();
            }
        }
    }

    /// <summary>Makes a multi-host source re-check every host's role at its next open.</summary>
    private static void ForgetHostStates(NpgsqlDataSource source)
    {
        if (source is NpgsqlMultiHostDataSource multiHost)
        {
            multiHost.ClearDatabaseStates();
        }
    }

    private void OnAlert(HoldfastAlert alert) => instruments.Alerts.Add(1,
        new KeyValuePair<string, object?>(HoldfastInstruments.AlertRuleTag, alert.Rule),
        new KeyValuePair<string, object?>(HoldfastInstruments.AlertLevelTag, HoldfastInstruments.LevelName(alert.Level)),
        sourceTag);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
