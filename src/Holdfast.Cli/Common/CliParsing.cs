using System.CommandLine.Parsing;
using System.Globalization;
using Holdfast.Timeouts;

namespace Holdfast.Cli.Common;

/// <summary>Option parsers shared by commands.</summary>
internal static class CliParsing
{
    /// <summary>The longest duration an option takes: longer waits are not timeouts, and the runtime's timers stop at ~24 days.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(7);

    /// <summary>A positive duration such as <c>5s</c>, <c>500ms</c>, <c>2m</c> or plain seconds, at most <see cref="MaxDuration"/>.</summary>
    public static TimeSpan? Duration(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        var option = result.Parent is OptionResult parent ? parent.Option.Name : "the value";
        if (DurationText.TryParse(text, out var value) && value > TimeSpan.Zero)
        {
            if (value <= MaxDuration)
            {
                return value;
            }

            result.AddError($"{option} '{text}' is longer than 7 days: give at most 168h.");
            return null;
        }

        result.AddError($"{option} '{text}' is not a positive duration: write seconds (5), or a number with a unit (500ms, 5s, 2m).");
        return null;
    }

    /// <summary>A whole number within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static int Integer(ArgumentResult result, int min, int max)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        var option = result.Parent is OptionResult parent ? parent.Option.Name : "the value";
        result.AddError($"{option} takes a whole number from {min} to {max}, not '{text}'.");
        return min;
    }

    /// <summary>A whole number, at least <paramref name="min"/>, for an optional option.</summary>
    public static int? OptionalInteger(ArgumentResult result, int min) => Integer(result, min, int.MaxValue);

    /// <summary>A decimal number such as 0.8.</summary>
    public static double Decimal(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
        {
            return value;
        }

        var option = result.Parent is OptionResult parent ? parent.Option.Name : "the value";
        result.AddError($"{option} takes a number such as 0.8, not '{text}'.");
        return 0;
    }
}
