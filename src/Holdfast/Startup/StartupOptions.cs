using System.ComponentModel.DataAnnotations;
using Holdfast.Resilience;

namespace Holdfast.Startup;

/// <summary>How start-up runs; budgets of the database, table-setup and health phases come from the timeout profile.</summary>
public sealed class StartupOptions
{
    /// <summary>True to start degraded after any non-permanent failure (<c>BYPASS_STARTUP_VALIDATION=true</c>).</summary>
    [NotBound]
    public bool BypassRequested { get; set; }

    /// <summary>The budget of a service phase that states none.</summary>
    /// <value>30 s by default; from 100 ms to 1 hour.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ServicePhaseBudget { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The budget of the configuration phase.</summary>
    /// <value>5 s by default; from 100 ms to 1 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ConfigurationBudget { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>In degraded mode, the first wait before reconnecting; it doubles after each failed attempt.</summary>
    /// <value>500 ms by default; from 10 ms to 1 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan RecoveryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>In degraded mode, the longest wait between reconnect attempts.</summary>
    /// <value>30 s by default; from 100 ms to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RecoveryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
}
