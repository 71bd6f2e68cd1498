using System.ComponentModel.DataAnnotations;
using Holdfast.Capacity;
using Holdfast.Resilience;
using Holdfast.Timeouts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Holdfast.AspNetCore;

/// <summary>
/// Validates at start-up (ValidateOnStart) everything Holdfast reads: the endpoint, the timeouts against their rules and
/// floors, the resilience, start-up and health options. Each failure names its setting and says how to fix it.
/// </summary>
internal sealed class HoldfastOptionsValidator(HoldfastConfiguration holdfastConfiguration) : IValidateOptions<HoldfastOptions>
{
    private readonly IConfiguration configuration = holdfastConfiguration.Configuration;

    public ValidateOptionsResult Validate(string? name, HoldfastOptions options)
    {
        var problems = new List<ConfigurationProblem>();
        try
        {
            var endpoint = DatabaseEndpoint.Resolve(configuration);
            problems.AddRange(HoldfastTimeouts.Resolve(configuration, endpoint).Validate());
            PressureIndicators.From(configuration);
            if (CapacitySettings.Resolve(configuration, endpoint).Check() is { } capacity)
            {
                problems.Add(capacity);
            }
        }
        catch (HoldfastConfigurationException ex)
        {
            problems.AddRange(ex.Problems);
        }

        problems.AddRange(options.BindingProblems);
        problems.AddRange(options.DataSource.Validate());
        problems.AddRange(Annotations(OptionsBinder.StartupSection, options.Startup));
        problems.AddRange(Annotations(OptionsBinder.HealthSection, options.Health));
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems.Select(p => p.ToString()));
    }

    private static IEnumerable<ConfigurationProblem> Annotations(string prefix, object value)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true);
        return results.Select(r => new ConfigurationProblem($"{prefix}:{r.MemberNames.FirstOrDefault()}", r.ErrorMessage ?? "is out of range",
            "use a value within the range its documentation states"));
    }
}

/// <summary>The configuration <c>AddHoldfast</c> was given (it may differ from the host's).</summary>
internal sealed record HoldfastConfiguration(IConfiguration Configuration);
