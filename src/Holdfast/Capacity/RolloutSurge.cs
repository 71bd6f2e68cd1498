using System.Globalization;

namespace Holdfast.Capacity;

/// <summary>
/// A rollout's surge as Kubernetes writes <c>maxSurge</c>: an absolute count, or a share of the desired instances rounded
/// up (25% of 6 is 2); Cloud Run runs the new revision beside the old one, 100%.
/// </summary>
internal static class RolloutSurge
{
    /// <summary>The extra instances a rollout of <paramref name="instances"/> runs beside them.</summary>
    /// <param name="value">A count (2) or a percentage (25%).</param>
    /// <param name="instances">The desired instances.</param>
    /// <exception cref="FormatException">Neither a count nor a percentage; the message says how to write one.</exception>
    public static int Count(string value, int instances)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = value.Trim();
        if (text.EndsWith('%') && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) &&
            double.IsFinite(percent) && percent is >= 0 and <= 1000)
        {
            return (int)Math.Ceiling(instances * percent / 100);
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count <= 100_000)
        {
            return count;
        }

        throw new FormatException($"'{(text.Length <= 12 ? text : text[..12] + "…")}' is not a count or a percentage; write 2, or 25% (100% for Cloud Run)");
    }
}
