namespace Holdfast.Testing;

/// <summary>An alert a <see cref="LocalPrometheus"/> holds: its name, <c>pending</c> or <c>firing</c>, and its labels.</summary>
/// <param name="Name">The alert's name.</param>
/// <param name="State"><c>pending</c> or <c>firing</c>.</param>
/// <param name="Labels">Its labels, <c>alertname</c> and <c>severity</c> included.</param>
public sealed record PrometheusAlert(string Name, string State, IReadOnlyDictionary<string, string> Labels);
