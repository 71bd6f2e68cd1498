using Holdfast.Configuration;
using Microsoft.Extensions.Configuration;

namespace Holdfast.Timeouts;

/// <summary>
/// The effective timeouts of this process: the environment's profile, overridden by the endpoint's own
/// connect timeout and then by configuration (<c>Holdfast:Timeouts:*</c>, in env vars
/// <c>Holdfast__Timeouts__Connection=40</c>), each value with its source. <see cref="Validate"/> checks them
/// against positivity, the attempt-within-budget rule, Npgsql's limit and the environment's floors.
/// </summary>
public sealed class HoldfastTimeouts
{
    /// <summary>The configuration section holding timeout overrides.</summary>
    public const string SectionName = "Holdfast:Timeouts";

    private readonly Dictionary<TimeoutKind, TimeoutSetting> settings;

    private HoldfastTimeouts(DetectedEnvironment environment, Dictionary<TimeoutKind, TimeoutSetting> settings)
    {
        Environment = environment.Environment;
        EnvironmentSource = environment.Source;
        this.settings = settings;
        Profile = new TimeoutProfile(
            settings[TimeoutKind.Initialization].Value, settings[TimeoutKind.Connection].Value, settings[TimeoutKind.Pool].Value,
            settings[TimeoutKind.TableSetup].Value, settings[TimeoutKind.HealthCheck].Value, settings[TimeoutKind.Operation].Value);
    }

    /// <summary>The environment whose profile and floors apply.</summary>
    public HoldfastEnvironment Environment { get; }

    /// <summary>The variable that named the environment, or <c>default</c>.</summary>
    public string EnvironmentSource { get; }

    /// <summary>The effective values.</summary>
    public TimeoutProfile Profile { get; }

    /// <summary>Every effective timeout with its source, in <see cref="TimeoutKind"/> order.</summary>
    public IReadOnlyList<TimeoutSetting> Settings => [.. Enum.GetValues<TimeoutKind>().Select(kind => settings[kind])];

    /// <summary>One effective timeout with its source.</summary>
    /// <param name="kind">Which timeout.</param>
    public TimeoutSetting this[TimeoutKind kind] => settings[kind];

    /// <summary>The configuration key of a timeout, e.g. <c>Holdfast:Timeouts:Connection</c>.</summary>
    /// <param name="kind">Which timeout.</param>
    public static string KeyFor(TimeoutKind kind) => $"{SectionName}:{kind}";

    /// <summary>Resolves the effective timeouts.</summary>
    /// <param name="configuration">Configuration with the environment variables and any <c>Holdfast:Timeouts</c> section.</param>
    /// <param name="endpoint">The endpoint, whose own connect timeout (URL <c>connect_timeout</c>) overrides the profile's connection timeout.</param>
    /// <exception cref="HoldfastConfigurationException">An override is not a duration, or the environment is unknown.</exception>
    public static HoldfastTimeouts Resolve(IConfiguration configuration, DatabaseEndpoint? endpoint = null) => Resolve(configuration, endpoint, environment: null);

    /// <summary>Resolves the effective timeouts in an environment already decided (e.g. by the CLI's <c>--environment</c>); detected from configuration when null.</summary>
    internal static HoldfastTimeouts Resolve(IConfiguration configuration, DatabaseEndpoint? endpoint, DetectedEnvironment? environment)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var detected = environment ?? EnvironmentDetection.Detect(configuration);
        var profile = TimeoutProfile.For(detected.Environment);
        var profileSource = $"{detected.Environment.ToName()} profile";
        var values = Enum.GetValues<TimeoutKind>().ToDictionary(kind => kind, kind => new TimeoutSetting(kind, profile[kind], profileSource));

        if (endpoint?.ConnectTimeout is { } connectTimeout)
        {
            values[TimeoutKind.Connection] = new TimeoutSetting(TimeoutKind.Connection, connectTimeout, $"{endpoint.SourceName} connect timeout");
        }

        foreach (var kind in Enum.GetValues<TimeoutKind>())
        {
            var key = KeyFor(kind);
            if (configuration[key] is { } text && !string.IsNullOrWhiteSpace(text))
            {
                values[kind] = new TimeoutSetting(kind, DurationText.Parse(text, key), key);
            }
        }

        return new HoldfastTimeouts(detected, values);
    }

    /// <summary>The timeouts of an environment's profile, with optional replacements, without reading configuration.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="profile">Values to use instead of the environment's defaults.</param>
    public static HoldfastTimeouts For(HoldfastEnvironment environment, TimeoutProfile? profile = null)
    {
        var source = profile is null ? $"{environment.ToName()} profile" : "code";
        var values = profile ?? TimeoutProfile.For(environment);
        return new HoldfastTimeouts(new DetectedEnvironment(environment, "code"),
            Enum.GetValues<TimeoutKind>().ToDictionary(kind => kind, kind => new TimeoutSetting(kind, values[kind], source)));
    }

    /// <summary>Every rule the effective values break, each naming its setting, what is wrong and the fix.</summary>
    public IReadOnlyList<ConfigurationProblem> Validate() => TimeoutValidator.Validate(this);

    /// <summary>Throws when <see cref="Validate"/> finds any problem; returns this instance otherwise.</summary>
    /// <exception cref="HoldfastConfigurationException">One or more rules are broken; the message lists them all.</exception>
    public HoldfastTimeouts EnsureValid()
    {
        var problems = Validate();
        return problems.Count == 0 ? this : throw new HoldfastConfigurationException(problems);
    }
}
