namespace Holdfast;

/// <summary>
/// Thrown when Holdfast's configuration is missing or malformed. The message names the setting,
/// says what is wrong and how to fix it, and never contains a password.
/// </summary>
public sealed class HoldfastConfigurationException : Exception
{
    /// <summary>Creates the exception for one setting.</summary>
    /// <param name="setting">The variable or configuration key at fault, e.g. <c>DATABASE_URL</c>.</param>
    /// <param name="problem">What is wrong, without echoing any secret.</param>
    /// <param name="fix">What to change.</param>
    public HoldfastConfigurationException(string setting, string problem, string fix)
        : base($"{setting}: {problem}. Fix: {fix}")
    {
        Setting = setting;
        Problem = problem;
        Fix = fix;
    }

    /// <summary>Creates the exception for several problems found at once.</summary>
    /// <param name="problems">The problems, each naming its setting.</param>
    public HoldfastConfigurationException(IReadOnlyList<ConfigurationProblem> problems)
        : base(Describe(problems))
    {
        ArgumentOutOfRangeException.ThrowIfZero(problems.Count);
        Problems = problems;
        Setting = problems[0].Setting;
        Problem = problems[0].Problem;
        Fix = problems[0].Fix;
    }

    /// <summary>The variable or configuration key at fault.</summary>
    public string Setting { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }

    /// <summary>What to change.</summary>
    public string Fix { get; }

    /// <summary>Every problem found; a single one when the exception names one setting.</summary>
    public IReadOnlyList<ConfigurationProblem> Problems =>
        field ??= [new ConfigurationProblem(Setting, Problem, Fix)];

    private static string Describe(IReadOnlyList<ConfigurationProblem> problems) =>
        problems.Count == 1
            ? problems[0].ToString()
            : $"{problems.Count} configuration problems:{Environment.NewLine}" +
              string.Join(Environment.NewLine, problems.Select(p => "  - " + p));
}
