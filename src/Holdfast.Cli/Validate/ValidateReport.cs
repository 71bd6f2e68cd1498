using Holdfast.Capacity;
using Holdfast.Configuration;
using Holdfast.Resilience;
using Holdfast.Timeouts;
using Holdfast.Topology;
using Microsoft.Extensions.Configuration;

namespace Holdfast.Cli.Validate;

/// <summary>One effective setting, where it came from, and the rule it is held to.</summary>
internal sealed record SettingRow(string Key, string Value, string Source, string? Rule);

/// <summary>What <c>holdfast validate</c> found: the effective settings with their sources, and every problem.</summary>
internal sealed record ValidateReport(
    string Environment,
    string EnvironmentSource,
    string? Endpoint,
    string? EndpointNote,
    string? Tls,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<string> Files,
    IReadOnlyList<SettingRow> Settings,
    PoolPlan? Plan,
    IReadOnlyList<ConfigurationProblem> Problems)
{
    /// <summary>What the configured pool leaves of the budget at the fleet's maximum during a rollout; negative when over it.</summary>
    public long? Headroom { get; init; }

    /// <summary>The configured pool size, when a capacity is planned.</summary>
    public int? PoolSize { get; init; }

    public bool Valid => Problems.Count == 0;

    /// <summary>Reads configuration the way the service would and checks it.</summary>
    public static ValidateReport Build(IConfiguration configuration, string? connection, HoldfastEnvironment? forced)
    {
        var problems = new List<ConfigurationProblem>();
        var rows = new List<SettingRow>();
        T? Try<T>(Func<T> read)
            where T : class
        {
            try
            {
                return read();
            }
            catch (HoldfastConfigurationException ex)
            {
                problems.AddRange(ex.Problems);
                return null;
            }
        }

        var environment = Try(() => forced is { } e ? new DetectedEnvironment(e, "--environment") : EnvironmentDetection.Detect(configuration));
        string? note = null;
        var endpoint = string.IsNullOrWhiteSpace(connection) && !DatabaseEndpoint.IsConfigured(configuration)
            ? null
            : Try(() => DatabaseEndpoint.Resolve(configuration, connection));
        if (endpoint is null && problems.Count == 0)
        {
            note = "no database is configured here (DATABASE_URL, POSTGRES_HOST, ConnectionStrings__Database): the endpoint was not checked";
        }

        if (environment is not null && Try(() => HoldfastTimeouts.Resolve(configuration, endpoint, environment)) is { } timeouts)
        {
            rows.AddRange(timeouts.Settings.Select(s => new SettingRow(s.Key, DurationText.Format(s.Value), WithOrigin(configuration, s.Source), Rule(timeouts, s))));
            problems.AddRange(timeouts.Validate());
        }

        if (Try(() => PressureIndicators.From(configuration)) is { } pressure)
        {
            rows.Add(new SettingRow($"{PressureIndicators.SectionName}:NetworkPathScaling", pressure.NetworkPathScaling ? "true" : "false", Source(configuration, "NetworkPathScaling"), "connection x1.5"));
            rows.Add(new SettingRow($"{PressureIndicators.SectionName}:DatabaseCapacity", pressure.DatabaseCapacity ? "true" : "false", Source(configuration, "DatabaseCapacity"), "initialization x1.2"));
        }

        if (Try(() => (object)PoolerSettings.ModeFrom(configuration)) is PoolerMode poolerMode)
        {
            rows.Add(new SettingRow(PoolerSettings.ModeKey, poolerMode.ToString(),
                string.IsNullOrWhiteSpace(configuration[PoolerSettings.ModeKey]) ? "default" : WithOrigin(configuration, PoolerSettings.ModeKey),
                "Auto, Transaction, Session or None"));
        }

        problems.AddRange(HoldfastSettings.UnknownKeys(configuration));
        PoolPlan? plan = null;
        long? headroom = null;
        int? poolSize = null;
        if (Try(() => CapacitySettings.Resolve(configuration, endpoint)) is { } capacity)
        {
            headroom = capacity.Headroom();
            poolSize = capacity.Planned is null ? null : capacity.PoolSize.Value;
            rows.Add(new SettingRow(CapacitySettings.PoolSizeKey, capacity.PoolSize.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), WithOrigin(configuration, capacity.PoolSize.Source),
                capacity.Planned is null ? null : "must fit the planned capacity"));
            if (capacity.Planned is { } planned)
            {
                rows.AddRange(capacity.Capacity.Select(c => new SettingRow($"{CapacitySettings.CapacitySection}:{c.Key}",
                    c.Value.Value.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture), WithOrigin(configuration, c.Value.Source), null)));
                plan = PoolPlanner.Plan(planned);
            }

            if (capacity.Check() is { } problem)
            {
                problems.Add(problem);
            }
        }

        if (endpoint is { Warnings.Count: > 0 })
        {
            note = string.Join("; ", endpoint.Warnings);
        }

        // A warning, not a refusal: the configuration works, but its password can be read by whoever poses as the server.
        var warnings = endpoint is not null && environment is not null && endpoint.TlsWarningFor(environment.Environment) is { } tls ? new[] { tls } : [];
        return new ValidateReport(environment?.Environment.ToName() ?? "unknown", environment?.Source ?? "unknown", endpoint?.ToString(),
            note, endpoint is null ? null : endpoint.SocketDirectory is null ? endpoint.TlsVerificationText : "not used over a Unix socket",
            warnings, Common.CliConfiguration.Files(configuration), rows, plan, problems)
        {
            Headroom = headroom,
            PoolSize = poolSize,
        };
    }

    private static string? Rule(HoldfastTimeouts timeouts, TimeoutSetting setting)
    {
        var rules = new List<string>();
        if (TimeoutFloors.For(timeouts.Environment, setting.Kind) is { } floor)
        {
            rules.Add($">= {DurationText.Format(floor)} ({timeouts.Environment.ToName()} floor)");
        }

        if (setting.Kind == TimeoutKind.Connection)
        {
            rules.Add("<= initialization, <= 1024 s");
        }

        return rules.Count == 0 ? "> 0" : string.Join(", ", rules);
    }

    private static string Source(IConfiguration configuration, string name) =>
        string.IsNullOrWhiteSpace(configuration[$"{PressureIndicators.SectionName}:{name}"]) ? "default" : WithOrigin(configuration, $"{PressureIndicators.SectionName}:{name}");

    /// <summary>A source that is a configuration key gets the file or variable that set it.</summary>
    private static string WithOrigin(IConfiguration configuration, string source) =>
        source.StartsWith("Holdfast:", StringComparison.Ordinal) && Common.CliConfiguration.Origin(configuration, source) is { } origin
            ? $"{origin}"
            : source;
}
