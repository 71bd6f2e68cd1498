using Holdfast.Timeouts;
using Npgsql;

namespace Holdfast.Startup;

/// <summary>What a phase gets to work with.</summary>
public sealed class StartupPhaseContext
{
    internal StartupPhaseContext(HoldfastDataSource dataSource, NpgsqlDataSource adminDataSource, TimeSpan budget,
        Func<FailureKind, bool> bypassAllows, IServiceProvider? services, TimeProvider time)
    {
        Time = time;
        DataSource = dataSource;
        AdminDataSource = adminDataSource;
        Budget = budget;
        BypassAllows = bypassAllows;
        Services = services;
    }

    /// <summary>The guarded data source of the service.</summary>
    public HoldfastDataSource DataSource { get; }

    /// <summary>The admin data source (own pool, <c>-admin</c> application name), for schema set-up and migrations.</summary>
    public NpgsqlDataSource AdminDataSource { get; }

    /// <summary>The effective timeouts.</summary>
    public HoldfastTimeouts Timeouts => DataSource.Timeouts;

    /// <summary>This phase's budget.</summary>
    public TimeSpan Budget { get; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>The service provider, when the start-up runs in a host.</summary>
    public IServiceProvider? Services { get; }

    /// <summary>True when the bypass policy would start the service degraded after a failure of this kind.</summary>
    public Func<FailureKind, bool> BypassAllows { get; }
}
