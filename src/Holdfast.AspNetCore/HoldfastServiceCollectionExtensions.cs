using System.Diagnostics.Metrics;
using Holdfast;
using Holdfast.AspNetCore;
using Holdfast.AspNetCore.Dashboard;
using Holdfast.AspNetCore.Health;
using Holdfast.AspNetCore.Hosting;
using Holdfast.AspNetCore.Http;
using Holdfast.AspNetCore.Telemetry;
using Holdfast.Resilience;
using Holdfast.Startup;
using Holdfast.Telemetry;
using Holdfast.Timeouts;
using Holdfast.Topology;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Telemetry;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Holdfast in a host.</summary>
public static class HoldfastServiceCollectionExtensions
{
    /// <summary>
    /// Registers Holdfast from configuration: the guarded <see cref="HoldfastDataSource"/> (also as
    /// <see cref="System.Data.Common.DbDataSource"/>), the
    /// <see cref="HoldfastAdminDataSource"/>, the deterministic start-up (a hosted service; its
    /// <see cref="StartupReport"/> through <see cref="StartupOrchestrator"/>), health checks for
    /// <c>MapHoldfastHealth()</c> and the 503 exception handler. Everything is validated when the host starts. Metrics
    /// are reported on the <c>Holdfast</c>, <c>Npgsql</c> and <c>Polly</c> meters; export them with
    /// <c>services.AddOpenTelemetry().WithMetrics(m => m.AddHoldfastInstrumentation())</c> and the exporter of your choice.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">Configuration with the endpoint, <c>Holdfast:Timeouts</c>, <c>Holdfast:Pressure</c>, <c>Holdfast:Resilience</c>,
    /// <c>Holdfast:Startup</c>, <c>Holdfast:Health</c>, <c>BYPASS_STARTUP_VALIDATION</c>.</param>
    public static IServiceCollection AddHoldfast(this IServiceCollection services, IConfiguration configuration) =>
        services.AddHoldfast(configuration, static _ => { });

    /// <summary>Registers Holdfast from configuration, with options set in code.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">Configuration with the endpoint and Holdfast's sections.</param>
    /// <param name="configure">Sets options (data source, start-up, health); runs once, when the options are first needed.</param>
    public static IServiceCollection AddHoldfast(this IServiceCollection services, IConfiguration configuration, Action<HoldfastOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptionsWithValidateOnStart<HoldfastOptions>()
            .Configure(options =>
            {
                options.Startup.BypassRequested = BypassPolicy.IsRequested(configuration[BypassPolicy.Variable]);
                // What operators set in configuration first; what code sets in 'configure' wins.
                options.BindingProblems.AddRange(OptionsBinder.Bind(configuration, OptionsBinder.ResilienceSection, options.DataSource));
                options.BindingProblems.AddRange(OptionsBinder.Bind(configuration, OptionsBinder.StartupSection, options.Startup));
                options.BindingProblems.AddRange(OptionsBinder.Bind(configuration, OptionsBinder.HealthSection, options.Health));
                configure(options);
            });
        services.TryAddSingleton(new HoldfastConfiguration(configuration));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HoldfastOptions>, HoldfastOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton(sp => new HoldfastInstruments(sp.GetRequiredService<IMeterFactory>()));
        services.TryAddSingleton(sp => CreateDataSource(sp, configuration));
        // Code and libraries that take an ADO.NET DbDataSource (Dapper and others) get the guarded one.
        services.TryAddSingleton<System.Data.Common.DbDataSource>(sp => sp.GetRequiredService<HoldfastDataSource>());
        services.TryAddSingleton(sp => CreateAdminDataSource(sp.GetRequiredService<HoldfastDataSource>(), sp.GetRequiredService<IOptions<HoldfastOptions>>().Value));
        services.TryAddSingleton(sp => new StartupOrchestrator(
            sp.GetServices<IStartupPhase>(),
            sp.GetRequiredService<HoldfastDataSource>(),
            sp.GetRequiredService<HoldfastAdminDataSource>().DataSource,
            sp.GetRequiredService<IOptions<HoldfastOptions>>().Value.Startup,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Holdfast.Startup"),
            sp,
            sp.GetRequiredService<HoldfastInstruments>()));
        services.TryAddSingleton(sp => new DatabaseProbe(sp.GetRequiredService<HoldfastDataSource>(), sp.GetRequiredService<IOptions<HoldfastOptions>>().Value.Health));
        services.TryAddSingleton(sp => new ConnectivityRecorder(sp.GetRequiredService<HoldfastDataSource>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<DashboardRegistration>();
        services.TryAddSingleton<ReadinessGauge>();
        services.AddHostedService<DashboardRecordingService>();
        services.AddHostedService<HoldfastStartupService>();

        services.AddHealthChecks()
            .AddCheck<LivenessCheck>("live", tags: [HoldfastHealthTags.All, HoldfastHealthTags.Live])
            .AddCheck<StartupCheck>("startup", tags: [HoldfastHealthTags.All, HoldfastHealthTags.Startup])
            .AddCheck<ReadinessCheck>("ready", tags: [HoldfastHealthTags.All, HoldfastHealthTags.Ready]);
        services.AddProblemDetails();
        services.AddExceptionHandler<DatabaseExceptionHandler>();

        return services;
    }

    /// <summary>Registers a start-up phase (table setup, or the service's own); phases run in the order of their kind, then of registration.</summary>
    /// <typeparam name="TPhase">The phase.</typeparam>
    /// <param name="services">The services.</param>
    public static IServiceCollection AddHoldfastStartupPhase<TPhase>(this IServiceCollection services)
        where TPhase : class, IStartupPhase
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddSingleton<IStartupPhase, TPhase>();
    }

    private static HoldfastDataSource CreateDataSource(IServiceProvider services, IConfiguration configuration)
    {
        var options = services.GetRequiredService<IOptions<HoldfastOptions>>().Value;
        var builder = new HoldfastDataSourceBuilder(configuration).UseOptions(Merge(options.DataSource, configuration));
        builder.Options.TimeProvider = services.GetRequiredService<TimeProvider>();
        builder.Options.LoggerFactory ??= services.GetRequiredService<ILoggerFactory>();
        builder.Options.Instruments ??= services.GetRequiredService<HoldfastInstruments>();
        var previous = builder.Options.ConfigurePipeline;
        builder.Options.ConfigurePipeline = pipeline =>
        {
            // Polly's meter only: Holdfast logs retries and breaker changes itself, and Polly's logger would add two
            // lines per call.
            pipeline.ConfigureTelemetry(new TelemetryOptions { LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance });
            previous?.Invoke(pipeline);
        };
        if (options.ApplicationName is { } name)
        {
            builder.Npgsql.ConnectionStringBuilder.ApplicationName = name;
        }

        return builder.Build();
    }

    /// <summary>The options in code, completed with what configuration says (timeouts, pressure, pooler) where code left them unset.</summary>
    private static HoldfastDataSourceOptions Merge(HoldfastDataSourceOptions options, IConfiguration configuration)
    {
        var endpoint = DatabaseEndpoint.Resolve(configuration);
        options.Timeouts ??= HoldfastTimeouts.Resolve(configuration, endpoint);
        if (options.Pressure == PressureIndicators.None)
        {
            options.Pressure = PressureIndicators.From(configuration);
        }

        if (options.Pooler == PoolerMode.Auto)
        {
            options.Pooler = PoolerSettings.ModeFrom(configuration);
        }

        return options;
    }

    private static HoldfastAdminDataSource CreateAdminDataSource(HoldfastDataSource dataSource, HoldfastOptions options)
    {
        var applicationName = options.ApplicationName ?? new Npgsql.NpgsqlConnectionStringBuilder(dataSource.Inner.ConnectionString).ApplicationName;
        // The main pool's settings and the application's builder hook (a password provider reaches the admin pool too),
        // in a small pool of its own under its own application name.
        var builder = dataSource.CreateSideBuilder(DatabaseEndpoint.AdminApplicationSuffix, settings =>
        {
            settings.ApplicationName = (applicationName ?? DatabaseEndpoint.DefaultApplicationName) + DatabaseEndpoint.AdminApplicationSuffix;
            settings.MaxPoolSize = 2;
            settings.MinPoolSize = 0;
            // Start-up work: its connections are closed once start-up is done, and any later use's go after 10 s idle.
            settings.ConnectionIdleLifetime = 10;
            settings.ConnectionPruningInterval = 5;
            // Schema statements run once: automatic preparation gains nothing there, and behind a pooler it would clash.
            settings.MaxAutoPrepare = 0;
            if (dataSource.Options.Pooler == PoolerMode.Transaction)
            {
                // A declared transaction pooler: the admin pool lends server connections per transaction as well.
                settings.NoResetOnClose = true;
            }
        });
        return new HoldfastAdminDataSource(builder.Build());
    }
}
