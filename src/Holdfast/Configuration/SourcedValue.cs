namespace Holdfast.Configuration;

/// <summary>A setting's value and where it came from (a configuration key, a connection-string keyword, a default).</summary>
/// <typeparam name="T">The value's type.</typeparam>
/// <param name="Value">The value.</param>
/// <param name="Source">Where it came from.</param>
internal sealed record SourcedValue<T>(T Value, string Source);
