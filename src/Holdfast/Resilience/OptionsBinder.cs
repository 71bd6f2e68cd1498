using System.Globalization;
using System.Reflection;
using Holdfast.Timeouts;
using Microsoft.Extensions.Configuration;

namespace Holdfast.Resilience;

/// <summary>
/// Binds the options operators set from a configuration section, key by key: <c>Holdfast:Resilience:Retry:BaseDelay</c>
/// is <c>HoldfastDataSourceOptions.Retry.BaseDelay</c>. Durations are written as timeouts are (<c>250ms</c>, <c>5s</c>,
/// <c>2m</c>, <c>00:00:05</c>), numbers in invariant culture, switches as <c>true</c>/<c>false</c>. Only values and
/// nested option objects bind; code-only settings (clocks, loggers, callbacks, sinks) and
/// <see cref="NotBoundAttribute">[NotBound]</see> ones do not. A value that cannot be read is a problem naming its key.
/// </summary>
internal static class OptionsBinder
{
    /// <summary>The configuration section of the data source's options.</summary>
    public const string ResilienceSection = "Holdfast:Resilience";

    /// <summary>The configuration section of the start-up's options.</summary>
    public const string StartupSection = "Holdfast:Startup";

    /// <summary>The configuration section of the health probe's options (read by Holdfast.AspNetCore).</summary>
    public const string HealthSection = "Holdfast:Health";

    /// <summary>Sets every property of <paramref name="target"/> that <paramref name="section"/> has a value for.</summary>
    /// <returns>The values that could not be read, each naming its key; none when all were.</returns>
    public static IReadOnlyList<ConfigurationProblem> Bind(IConfiguration configuration, string section, object target)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(target);
        var problems = new List<ConfigurationProblem>();
        foreach (var (key, property, owner) in Bindable(section, target))
        {
            if (configuration[key]?.Trim() is not { Length: > 0 } text)
            {
                continue;
            }

            if (Read(text, property.PropertyType) is { } value)
            {
                property.SetValue(owner, value);
            }
            else
            {
                problems.Add(new ConfigurationProblem(key, $"'{text}' is not {Expected(property.PropertyType)}", Example(property.PropertyType)));
            }
        }

        return problems;
    }

    /// <summary>Every key <see cref="Bind"/> reads for an object of type <paramref name="type"/> under <paramref name="section"/>.</summary>
    public static IEnumerable<string> KeysOf(string section, Type type) =>
        Bindable(section, Activator.CreateInstance(type)!).Select(b => b.Key);

    private static IEnumerable<(string Key, PropertyInfo Property, object Owner)> Bindable(string prefix, object target)
    {
        foreach (var property in target.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<NotBoundAttribute>() is not null || property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            var key = $"{prefix}:{property.Name}";
            if (property.CanWrite && property.SetMethod is { IsPublic: true } && IsValue(property.PropertyType))
            {
                yield return (key, property, target);
            }
            else if (!property.CanWrite && property.PropertyType.IsClass && property.PropertyType.Name.EndsWith("Options", StringComparison.Ordinal) &&
                     property.GetValue(target) is { } nested)
            {
                foreach (var inner in Bindable(key, nested))
                {
                    yield return inner;
                }
            }
        }
    }

    private static bool IsValue(Type type) => (Nullable.GetUnderlyingType(type) ?? type) is var t &&
        (t == typeof(TimeSpan) || t == typeof(int) || t == typeof(double) || t == typeof(bool));

    private static object? Read(string text, Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t == typeof(TimeSpan))
        {
            return DurationText.TryParse(text, out var duration) ? duration : null;
        }

        if (t == typeof(int))
        {
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : null;
        }

        if (t == typeof(double))
        {
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) ? number : null;
        }

        return bool.TryParse(text, out var flag) ? flag : null;
    }

    private static string Expected(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(TimeSpan) => "a duration",
        var t when t == typeof(int) => "a whole number",
        var t when t == typeof(double) => "a number",
        _ => "true or false",
    };

    private static string Example(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(TimeSpan) => "write seconds (35), or a number with a unit (500ms, 35s, 2m), or hh:mm:ss",
        var t when t == typeof(int) => "write a whole number, e.g. 5",
        var t when t == typeof(double) => "write a plain number with a dot for decimals, e.g. 1.5",
        _ => "write true or false",
    };
}

/// <summary>A public option that is set in code or from elsewhere, never from the <c>Holdfast</c> configuration section.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class NotBoundAttribute : Attribute;
