using System.Globalization;

namespace Holdfast.Timeouts;

/// <summary>
/// Reads durations as operators write them: <c>35</c> (seconds), <c>35s</c>, <c>500ms</c>, <c>2m</c>,
/// <c>1h</c>, <c>14d</c>, or <c>00:00:35</c>. A bare number is seconds, never days (unlike <see cref="TimeSpan.Parse(string)"/>).
/// </summary>
internal static class DurationText
{
    private static readonly (string Suffix, double Seconds)[] Units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)];

    /// <summary>Parses a duration; false when the text is not one.</summary>
    /// <param name="text">The text.</param>
    /// <param name="value">The duration.</param>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        var trimmed = text?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(trimmed))
        {
            return false;
        }

        if (trimmed.Contains(':'))
        {
            return TimeSpan.TryParseExact(trimmed, [@"h\:mm\:ss", @"hh\:mm\:ss", @"hh\:mm\:ss\.FFF", @"d\.hh\:mm\:ss"], CultureInfo.InvariantCulture, out value);
        }

        var (number, scale) = Units.Where(u => trimmed.EndsWith(u.Suffix, StringComparison.Ordinal))
            .Select(u => (trimmed[..^u.Suffix.Length], u.Seconds))
            .FirstOrDefault((trimmed, 1));
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || !double.IsFinite(amount))
        {
            return false;
        }

        var seconds = amount * scale;
        if (Math.Abs(seconds) > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>Parses a duration or throws an error that names the setting.</summary>
    /// <param name="text">The text.</param>
    /// <param name="setting">The setting to name in the error.</param>
    /// <exception cref="HoldfastConfigurationException">The text is not a duration.</exception>
    public static TimeSpan Parse(string text, string setting) =>
        TryParse(text, out var value)
            ? value
            : throw new HoldfastConfigurationException(setting, $"'{text}' is not a duration",
                "write seconds (35), or a number with a unit (500ms, 35s, 2m), or hh:mm:ss");

    /// <summary>A short display form: <c>35 s</c>, <c>500 ms</c>, <c>1.5 s</c>.</summary>
    /// <param name="value">The duration.</param>
    public static string Format(TimeSpan value) => value.Duration().TotalSeconds >= 1 || value == TimeSpan.Zero
        ? $"{value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s"
        : $"{value.TotalMilliseconds.ToString("0.#", CultureInfo.InvariantCulture)} ms";
}
