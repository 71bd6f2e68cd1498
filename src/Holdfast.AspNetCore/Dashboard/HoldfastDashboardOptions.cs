using System.ComponentModel.DataAnnotations;

namespace Holdfast.AspNetCore;

/// <summary>How <c>MapHoldfastDashboard</c> serves the dashboard.</summary>
public sealed class HoldfastDashboardOptions
{
    /// <summary>
    /// The authorization policy a request must satisfy. When null (the default) the dashboard answers local requests
    /// only (from a loopback address, or from the server's own address, with no forwarding header) and 403 to others.
    /// When set, it answers whoever the policy admits, from anywhere: name a policy that requires an operator.
    /// </summary>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>How often the open page asks for fresh state.</summary>
    /// <value>1 s by default; from 0.5 s to 10 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:00:10")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(1);
}
