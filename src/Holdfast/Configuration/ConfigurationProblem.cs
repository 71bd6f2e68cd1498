namespace Holdfast;

/// <summary>One thing wrong with the configuration: the setting, the problem and the fix.</summary>
public sealed record ConfigurationProblem
{
    /// <summary>Creates a <see cref="ConfigurationProblem"/>.</summary>
    /// <param name="setting">The variable or configuration key at fault.</param>
    /// <param name="problem">What is wrong, without any secret.</param>
    /// <param name="fix">What to change.</param>
    public ConfigurationProblem(string setting, string problem, string fix)
    {
        Setting = setting;
        Problem = problem;
        Fix = fix;
    }

    /// <summary>The variable or configuration key at fault.</summary>
    public string Setting { get; init; }

    /// <summary>What is wrong, without any secret.</summary>
    public string Problem { get; init; }

    /// <summary>What to change.</summary>
    public string Fix { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Setting}: {Problem}. Fix: {Fix}";
}
