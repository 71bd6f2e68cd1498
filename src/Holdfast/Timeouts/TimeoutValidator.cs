using Holdfast.Configuration;

namespace Holdfast.Timeouts;

/// <summary>The rules effective timeouts must keep.</summary>
internal static class TimeoutValidator
{
    private static readonly TimeSpan NpgsqlLimit = TimeSpan.FromSeconds(DatabaseEndpoint.MaxNpgsqlTimeoutSeconds);

    public static IReadOnlyList<ConfigurationProblem> Validate(HoldfastTimeouts timeouts)
    {
        var problems = new List<ConfigurationProblem>();
        foreach (var setting in timeouts.Settings)
        {
            if (setting.Value <= TimeSpan.Zero)
            {
                problems.Add(new ConfigurationProblem(Name(setting),
                    $"is {DurationText.Format(setting.Value)}; a timeout must be positive",
                    $"set {setting.Key} to a positive duration, or remove it to use the {timeouts.Environment.ToName()} default " +
                    $"({DurationText.Format(TimeoutProfile.For(timeouts.Environment)[setting.Kind])})"));
                continue;
            }

            if (setting.Value < Minimum(setting.Kind))
            {
                problems.Add(new ConfigurationProblem(Name(setting),
                    $"is {DurationText.Format(setting.Value)}, shorter than anything can answer in (at least {DurationText.Format(Minimum(setting.Kind))})",
                    $"raise {setting.Key}, or remove it to use the {timeouts.Environment.ToName()} default ({DurationText.Format(TimeoutProfile.For(timeouts.Environment)[setting.Kind])})"));
                continue;
            }

            if (setting.Value > Maximum)
            {
                problems.Add(new ConfigurationProblem(Name(setting),
                    $"is {DurationText.Format(setting.Value)}: a wait of more than a day is not a timeout",
                    $"set {setting.Key} to 24h or less"));
                continue;
            }

            if (TimeoutFloors.For(timeouts.Environment, setting.Kind) is { } floor && setting.Value < floor)
            {
                problems.Add(new ConfigurationProblem(Name(setting),
                    $"is {DurationText.Format(setting.Value)}, below the {timeouts.Environment.ToName()} floor of {DurationText.Format(floor)}",
                    $"raise {setting.Key} to at least {floor.TotalSeconds:0} (the floor is a known-good minimum learned from outages), or remove the override"));
            }
        }

        var connection = timeouts[TimeoutKind.Connection];
        var initialization = timeouts[TimeoutKind.Initialization];
        if (connection.Value > initialization.Value && initialization.Value > TimeSpan.Zero)
        {
            problems.Add(new ConfigurationProblem(Name(connection),
                $"is {DurationText.Format(connection.Value)}, longer than the initialization budget of {DurationText.Format(initialization.Value)}: one attempt cannot outlast the whole database phase",
                $"lower {connection.Key} or raise {initialization.Key}"));
        }

        if (connection.Value > NpgsqlLimit)
        {
            problems.Add(new ConfigurationProblem(Name(connection),
                $"is {DurationText.Format(connection.Value)}; Npgsql's connect timeout cannot exceed {NpgsqlLimit.TotalSeconds:0} s",
                $"set {connection.Key} to {NpgsqlLimit.TotalSeconds:0} or less"));
        }

        return problems;
    }

    /// <summary>The longest any timeout may be: longer is no timeout, and the runtime's timers end at ~24 days.</summary>
    private static readonly TimeSpan Maximum = TimeSpan.FromDays(1);

    /// <summary>
    /// The shortest each timeout may be in any environment: a connect, a pool wait or a start-up phase cannot complete in
    /// less than a second over a real network; a health check or an operation in less than a tenth (a 1 ms health budget
    /// reports Ready while readiness stays 503).
    /// </summary>
    private static TimeSpan Minimum(TimeoutKind kind) => kind is TimeoutKind.HealthCheck or TimeoutKind.Operation
        ? TimeSpan.FromMilliseconds(100)
        : TimeSpan.FromSeconds(1);

    private static string Name(TimeoutSetting setting) =>
        setting.Source == setting.Key ? setting.Key : $"{setting.Key} (from {setting.Source})";
}
