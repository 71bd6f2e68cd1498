using System.ComponentModel.DataAnnotations;

namespace Holdfast.Resilience;

/// <summary>Checks <see cref="HoldfastDataSourceOptions"/>: each value's stated range, then rules that span values.</summary>
internal static class HoldfastDataSourceOptionsValidator
{
    public const string SectionName = OptionsBinder.ResilienceSection;

    public static IEnumerable<ConfigurationProblem> Validate(HoldfastDataSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var sections = new (string Prefix, object Value)[]
        {
            (SectionName, options),
            ($"{SectionName}:AttemptTimeout", options.AttemptTimeout),
            ($"{SectionName}:Retry", options.Retry),
            ($"{SectionName}:CircuitBreaker", options.CircuitBreaker),
            ($"{SectionName}:Recovery", options.Recovery),
            ($"{SectionName}:Tls", options.Tls),
        };
        foreach (var (prefix, value) in sections)
        {
            var results = new List<ValidationResult>();
            Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true);
            foreach (var result in results)
            {
                var member = result.MemberNames.FirstOrDefault() ?? "?";
                yield return new ConfigurationProblem($"{prefix}:{member}", result.ErrorMessage ?? "is out of range",
                    "use a value within the range its documentation states");
            }
        }

        if (options.Retry.MaxDelay < options.Retry.BaseDelay)
        {
            yield return new ConfigurationProblem($"{SectionName}:Retry:MaxDelay",
                $"is {options.Retry.MaxDelay.TotalMilliseconds:0} ms, below BaseDelay ({options.Retry.BaseDelay.TotalMilliseconds:0} ms)",
                "make MaxDelay at least BaseDelay");
        }

        if (options.Recovery.MaxDelay < options.Recovery.InitialDelay)
        {
            yield return new ConfigurationProblem($"{SectionName}:Recovery:MaxDelay",
                $"is {options.Recovery.MaxDelay.TotalMilliseconds:0} ms, below InitialDelay ({options.Recovery.InitialDelay.TotalMilliseconds:0} ms)",
                "make MaxDelay at least InitialDelay");
        }

        if (options.OperationBudget is { } operation && operation <= TimeSpan.Zero)
        {
            yield return new ConfigurationProblem($"{SectionName}:OperationBudget", "must be positive",
                "remove it to use the environment's operation timeout, or give a positive duration");
        }

        if (options.OpenBudget is { } budget && budget <= TimeSpan.Zero)
        {
            yield return new ConfigurationProblem($"{SectionName}:OpenBudget", "must be positive", "remove it to use the pool timeout, or give a positive duration");
        }
    }
}
