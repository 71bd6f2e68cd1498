using System.ComponentModel.DataAnnotations;
using Holdfast.Startup;

namespace Holdfast.AspNetCore;

/// <summary>
/// Holdfast in a host. The endpoint (ConnectionStrings:Database, DATABASE_URL, POSTGRES_*), the timeouts
/// (<c>Holdfast:Timeouts</c>), pressure (<c>Holdfast:Pressure</c>), the pool and pooler settings and
/// <c>BYPASS_STARTUP_VALIDATION</c> come from configuration; these options bind from <c>Holdfast:Resilience</c>,
/// <c>Holdfast:Startup</c> and <c>Holdfast:Health</c>, and what the <c>AddHoldfast</c> callback sets in code wins.
/// </summary>
public sealed class HoldfastOptions
{
    /// <summary>The application name in <c>pg_stat_activity</c>; default: the URL's <c>application_name</c>, else the entry assembly's name.</summary>
    public string? ApplicationName { get; set; }

    /// <summary>How the guarded data source retries, breaks and alerts.</summary>
    public HoldfastDataSourceOptions DataSource { get; } = new();

    /// <summary>How start-up runs.</summary>
    public StartupOptions Startup { get; } = new();

    /// <summary>How health probes run.</summary>
    public HealthOptions Health { get; } = new();

    /// <summary>Values in the <c>Holdfast</c> configuration section that could not be read; reported when the host starts.</summary>
    internal List<ConfigurationProblem> BindingProblems { get; } = [];
}

/// <summary>Health probes of the database.</summary>
public sealed class HealthOptions
{
    /// <summary>How long a probe's result is reused; concurrent health requests also share one probe in flight.</summary>
    /// <value>1 s by default; from 0 to 1 min.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The health pool's size: health probes never use more connections than this. Concurrent health requests share one
    /// probe in flight, so one connection is all they need; <c>holdfast plan</c> counts this many per instance.
    /// </summary>
    /// <value>1 by default; from 1 to 10.</value>
    [Range(1, 10)]
    public int MaxConnections { get; set; } = 1;
}
