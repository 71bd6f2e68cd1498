using Holdfast.Configuration;
using Holdfast.Resilience;
using Holdfast.Telemetry;
using Holdfast.Timeouts;
using Holdfast.Topology;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Holdfast;

/// <summary>
/// Builds a <see cref="HoldfastDataSource"/>, the way <see cref="NpgsqlDataSourceBuilder"/> builds an
/// <see cref="NpgsqlDataSource"/>: configure Npgsql through <see cref="Npgsql"/> and the guard through
/// <see cref="Options"/> or the fluent methods, then <see cref="Build"/>.
/// </summary>
public sealed class HoldfastDataSourceBuilder
{
    private HoldfastDataSourceOptions options = new();

    /// <summary>Starts from an endpoint.</summary>
    /// <param name="endpoint">Where the database is.</param>
    public HoldfastDataSourceBuilder(DatabaseEndpoint endpoint)
    {
        Endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
        Npgsql = endpoint.CreateDataSourceBuilder();
    }

    /// <summary>Starts from a <c>postgres://</c> URL or an Npgsql connection string.</summary>
    /// <param name="connection">The URL or connection string.</param>
    public HoldfastDataSourceBuilder(string connection)
        : this(DatabaseEndpoint.Parse(connection))
    {
    }

    /// <summary>
    /// Starts from configuration: the endpoint (ConnectionStrings:Database, DATABASE_URL, POSTGRES_*), the
    /// environment's timeouts with <c>Holdfast:Timeouts</c> overrides, <c>Holdfast:Pressure</c> indicators, the pool
    /// size <c>Holdfast:Pool:MaxSize</c>, the pooler mode <c>Holdfast:Pooler:Mode</c>, and the options under
    /// <c>Holdfast:Resilience</c> (budgets, retry, circuit breaker, recovery, attempt timeouts; e.g.
    /// <c>Holdfast:Resilience:CircuitBreaker:FailureThreshold</c>), which code may still change afterwards.
    /// </summary>
    /// <param name="configuration">The configuration.</param>
    /// <exception cref="HoldfastConfigurationException">The endpoint or timeouts are missing or malformed.</exception>
    public HoldfastDataSourceBuilder(IConfiguration configuration)
        : this(DatabaseEndpoint.Resolve(configuration))
    {
        if (HoldfastSettings.UnknownKeys(configuration) is { Count: > 0 } unknown)
        {
            // A misspelled key would silently do nothing: the service must not start on a configuration it cannot honour.
            throw new HoldfastConfigurationException(unknown);
        }

        if (OptionsBinder.Bind(configuration, OptionsBinder.ResilienceSection, options) is { Count: > 0 } unreadable)
        {
            throw new HoldfastConfigurationException(unreadable);
        }

        options.Timeouts = HoldfastTimeouts.Resolve(configuration, Endpoint);
        options.Pressure = PressureIndicators.From(configuration);
        options.Pooler = PoolerSettings.ModeFrom(configuration);
        var pool = PoolSettings.Resolve(configuration, Endpoint);
        if (pool.Source == PoolSettings.SizeKey)
        {
            Npgsql.ConnectionStringBuilder.MaxPoolSize = pool.Value;
        }
    }

    /// <summary>The endpoint.</summary>
    public DatabaseEndpoint Endpoint { get; }

    /// <summary>The Npgsql builder underneath: type mappings, logging, TLS callbacks, pool sizes.</summary>
    public NpgsqlDataSourceBuilder Npgsql { get; }

    /// <summary>The guard's options.</summary>
    public HoldfastDataSourceOptions Options => options;

    /// <summary>
    /// Configures every Npgsql data source builder Holdfast creates for this endpoint (see
    /// <see cref="HoldfastDataSourceOptions.ConfigureNpgsql"/>): the main one when <see cref="Build"/> runs, and each of
    /// Holdfast's own side pools and probes. Settings made directly on <see cref="Npgsql"/> reach the main pool only.
    /// </summary>
    /// <param name="configure">What every builder gets, e.g. <c>b =&gt; b.UsePeriodicPasswordProvider(...)</c>.</param>
    public HoldfastDataSourceBuilder ConfigureNpgsql(Action<NpgsqlDataSourceBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var previous = options.ConfigureNpgsql;
        options.ConfigureNpgsql = previous is null ? configure : builder =>
        {
            previous(builder);
            configure(builder);
        };
        return this;
    }

    /// <summary>Replaces the options object.</summary>
    /// <param name="value">The options.</param>
    public HoldfastDataSourceBuilder UseOptions(HoldfastDataSourceOptions value)
    {
        options = value ?? throw new ArgumentNullException(nameof(value));
        return this;
    }

    /// <summary>Uses these timeouts instead of the environment's.</summary>
    /// <param name="timeouts">The timeouts.</param>
    public HoldfastDataSourceBuilder UseTimeouts(HoldfastTimeouts timeouts)
    {
        options.Timeouts = timeouts ?? throw new ArgumentNullException(nameof(timeouts));
        return this;
    }

    /// <summary>Sets explicit pressure indicators.</summary>
    /// <param name="pressure">The indicators.</param>
    public HoldfastDataSourceBuilder UsePressure(PressureIndicators pressure)
    {
        options.Pressure = pressure ?? throw new ArgumentNullException(nameof(pressure));
        return this;
    }

    /// <summary>Uses a clock (a fake one in tests).</summary>
    /// <param name="timeProvider">The clock.</param>
    public HoldfastDataSourceBuilder UseTimeProvider(TimeProvider timeProvider)
    {
        options.TimeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        return this;
    }

    /// <summary>Logs Holdfast's and Npgsql's messages to this factory; alerts go to the log unless sinks are added.</summary>
    /// <param name="loggerFactory">The factory.</param>
    public HoldfastDataSourceBuilder UseLoggerFactory(ILoggerFactory loggerFactory)
    {
        options.LoggerFactory = loggerFactory ?? throw new ArgumentNullException(nameof(loggerFactory));
        return this;
    }

    /// <summary>Adds a place for alerts to go.</summary>
    /// <param name="sink">The sink.</param>
    public HoldfastDataSourceBuilder AddAlertSink(IAlertSink sink)
    {
        options.AlertSinks.Add(sink ?? throw new ArgumentNullException(nameof(sink)));
        return this;
    }

    /// <summary>Changes options in place.</summary>
    /// <param name="configure">The change.</param>
    public HoldfastDataSourceBuilder Configure(Action<HoldfastDataSourceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(options);
        return this;
    }

    /// <summary>Validates everything and builds the data source.</summary>
    /// <exception cref="HoldfastConfigurationException">An option or timeout is invalid; the message lists every problem.</exception>
    public HoldfastDataSource Build()
    {
        var problems = HoldfastDataSourceOptionsValidator.Validate(options).ToList();
        if (options.Timeouts is { } timeouts)
        {
            problems.AddRange(timeouts.Validate());
        }

        if (problems.Count > 0)
        {
            throw new HoldfastConfigurationException(problems);
        }

        return new HoldfastDataSource(Endpoint, Npgsql, options);
    }
}
