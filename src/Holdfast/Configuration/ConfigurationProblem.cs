namespace Holdfast.Configuration;

/// <summary>One thing wrong with the configuration: the setting, the problem and the fix.</summary>
/// <param name="Setting">The variable or configuration key at fault.</param>
/// <param name="Problem">What is wrong, without any secret.</param>
/// <param name="Fix">What to change.</param>
public sealed record ConfigurationProblem(string Setting, string Problem, string Fix)
{
    /// <inheritdoc />
    public override string ToString() => $"{Setting}: {Problem}. Fix: {Fix}";
}
