using System.Diagnostics;

namespace Holdfast.Telemetry;

/// <summary>
/// Holdfast's spans: one per guarded call (<c>holdfast.open</c>, <c>holdfast.execute</c>) on the <c>Holdfast</c>
/// <see cref="ActivitySource"/>, a child of the caller's span (an ASP.NET Core request's), with Npgsql's command spans
/// (<c>Npgsql.OpenTelemetry</c>) as its children. Each retry is an event (<c>holdfast.retry</c>: the attempt, the failure
/// kind that caused it, the delay); a failed call has status Error, <c>error.type</c> and <c>holdfast.failure.kind</c>.
/// With no listener on the source, nothing is started and a call costs one check.
/// </summary>
public static class HoldfastTracing
{
    /// <summary>The <see cref="ActivitySource"/>'s name: <c>AddSource("Holdfast")</c> on an OpenTelemetry tracer provider.</summary>
    public const string SourceName = "Holdfast";

    internal static readonly ActivitySource Source = new(SourceName, typeof(HoldfastTracing).Assembly.GetName().Version?.ToString());

    /// <summary>The span of the guarded call that runs now, or null (no listener, or not inside one).</summary>
    internal static Activity? CurrentCall()
    {
        for (var activity = Activity.Current; activity is not null; activity = activity.Parent)
        {
            if (ReferenceEquals(activity.Source, Source))
            {
                return activity;
            }
        }

        return null;
    }
}
