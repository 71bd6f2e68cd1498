using Holdfast.Configuration;
using Holdfast.Timeouts;
using Microsoft.Extensions.Configuration;

namespace Holdfast.Cli.Common;

/// <summary>
/// The effective timeouts as every command reads them: resolved from configuration and held to their rules (positive,
/// within Npgsql's range, not below a floor, an attempt within its budget) — a value out of range is a configuration
/// error (exit 2) naming the key, in every command, never a crash further on.
/// </summary>
internal static class CliTimeouts
{
    public static HoldfastTimeouts Resolve(IConfiguration configuration, DatabaseEndpoint? endpoint, DetectedEnvironment? environment)
    {
        var timeouts = HoldfastTimeouts.Resolve(configuration, endpoint, environment);
        var problems = timeouts.Validate();
        return problems.Count == 0 ? timeouts : throw new HoldfastConfigurationException(problems);
    }
}
