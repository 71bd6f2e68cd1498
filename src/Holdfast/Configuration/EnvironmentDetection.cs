using Microsoft.Extensions.Configuration;

namespace Holdfast.Configuration;

/// <summary>The environment and the variable it came from.</summary>
/// <param name="Environment">The environment.</param>
/// <param name="Source">The variable that named it, or <c>default</c>.</param>
internal sealed record DetectedEnvironment(HoldfastEnvironment Environment, string Source);

/// <summary>
/// Finds the environment: <c>HOLDFAST_ENVIRONMENT</c>, else <c>ENVIRONMENT</c>, else
/// <c>ASPNETCORE_ENVIRONMENT</c> / <c>DOTNET_ENVIRONMENT</c>, else production — as ASP.NET Core's host does, so a service
/// deployed with no variable gets production's budgets and floors, and Holdfast and the host never disagree.
/// <c>HOLDFAST_ENVIRONMENT</c> must name a known environment; the general-purpose variables are
/// skipped when they hold a name Holdfast does not know (e.g. <c>Local</c>), so the next one decides.
/// </summary>
internal static class EnvironmentDetection
{
    /// <summary>The variable that, when set, decides the environment and must be valid.</summary>
    public const string HoldfastVariable = "HOLDFAST_ENVIRONMENT";

    /// <summary>The source named when no variable decides: production, as the .NET host defaults to.</summary>
    public const string DefaultSource = "default, as the .NET host";

    private static readonly string[] GeneralVariables = ["ENVIRONMENT", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT"];

    private static readonly Dictionary<string, HoldfastEnvironment> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["development"] = HoldfastEnvironment.Development,
        ["dev"] = HoldfastEnvironment.Development,
        ["local"] = HoldfastEnvironment.Development,
        ["test"] = HoldfastEnvironment.Test,
        ["testing"] = HoldfastEnvironment.Test,
        ["ci"] = HoldfastEnvironment.Test,
        ["staging"] = HoldfastEnvironment.Staging,
        ["stage"] = HoldfastEnvironment.Staging,
        ["production"] = HoldfastEnvironment.Production,
        ["prod"] = HoldfastEnvironment.Production,
    };

    /// <summary>Detects the environment from configuration (environment variables map one to one).</summary>
    /// <param name="configuration">Configuration holding the variables.</param>
    /// <exception cref="HoldfastConfigurationException"><c>HOLDFAST_ENVIRONMENT</c> names no known environment.</exception>
    public static DetectedEnvironment Detect(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration[HoldfastVariable] is { } explicitName && !string.IsNullOrWhiteSpace(explicitName))
        {
            return new DetectedEnvironment(Parse(explicitName, HoldfastVariable), HoldfastVariable);
        }

        foreach (var variable in GeneralVariables)
        {
            if (configuration[variable] is { } name && TryParse(name, out var environment))
            {
                return new DetectedEnvironment(environment, variable);
            }
        }

        return new DetectedEnvironment(HoldfastEnvironment.Production, DefaultSource);
    }

    /// <summary>Parses an environment name (development, test, staging, production, and short forms).</summary>
    /// <param name="name">The name.</param>
    /// <param name="setting">The setting to name in the error.</param>
    /// <exception cref="HoldfastConfigurationException">The name is not known.</exception>
    public static HoldfastEnvironment Parse(string name, string setting) =>
        TryParse(name, out var environment)
            ? environment
            : throw new HoldfastConfigurationException(setting, $"'{name}' is not an environment Holdfast knows",
                "use development, test, staging or production");

    /// <summary>Parses an environment name; false when it is not known.</summary>
    /// <param name="name">The name.</param>
    /// <param name="environment">The environment, when known.</param>
    public static bool TryParse(string? name, out HoldfastEnvironment environment) =>
        Names.TryGetValue(name?.Trim() ?? "", out environment);

    /// <summary>The lower-case name used in configuration and output.</summary>
    /// <param name="environment">The environment.</param>
    public static string ToName(this HoldfastEnvironment environment) => environment.ToString().ToLowerInvariant();
}
