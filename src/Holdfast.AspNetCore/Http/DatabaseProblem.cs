using Holdfast.Startup;
using Microsoft.AspNetCore.Http;

namespace Holdfast.AspNetCore.Http;

/// <summary>The 503 answer of an endpoint that needs the database while it is not there: problem+json with Retry-After.</summary>
internal static class DatabaseProblem
{
    public const string Type = "https://httpstatuses.io/503#holdfast-database-unavailable";

    /// <summary>Why the database is not usable right now and when to try again; null when it is usable.</summary>
    public static (string Detail, TimeSpan RetryAfter)? Unavailable(StartupOrchestrator startup, HoldfastDataSource dataSource, TimeProvider time)
    {
        var report = startup.Report;
        if (report.Outcome is StartupOutcome.Starting)
        {
            return ("the service is starting and has not reached its database yet", TimeSpan.FromSeconds(1));
        }

        if (report.Outcome is StartupOutcome.Degraded or StartupOutcome.Failed)
        {
            var next = startup.NextRecoveryAt is { } at ? at - time.GetUtcNow() : TimeSpan.FromSeconds(1);
            return ($"the service started without its database ({report.FirstFailure?.Failure?.Kind}); it reconnects by itself", next);
        }

        var status = dataSource.Status;
        return status.IsOpen
            ? ($"the database failed {status.ConsecutiveFailures} times in a row ({status.LastFailure?.Kind}); calls are paused", status.NextProbeIn ?? TimeSpan.FromSeconds(1))
            : null;
    }

    /// <summary>The 503 result for a database failure seen while handling a request; null when it is not an outage.</summary>
    public static (string Detail, TimeSpan RetryAfter)? From(Exception exception) => exception switch
    {
        DatabaseUnavailableException unavailable => ($"calls to the database are paused after repeated failures ({unavailable.Failure.Kind})", unavailable.RetryAfter),
        DatabaseConnectionException connection when connection.IsTransient || connection.Failure.Kind is FailureKind.PoolExhausted or FailureKind.QueryTimeout =>
            ($"the database could not be reached in time ({connection.Failure.Kind})", TimeSpan.FromSeconds(1)),
        _ => null,
    };

    public static IResult Result(HttpContext context, string detail, TimeSpan retryAfter)
    {
        SetRetryAfter(context, retryAfter);
        return Results.Problem(detail: detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Database unavailable", type: Type);
    }

    /// <summary>Sets <c>Retry-After</c> in whole seconds, from 1 to an hour (an isolated circuit has no next probe).</summary>
    public static void SetRetryAfter(HttpContext context, TimeSpan retryAfter) =>
        context.Response.Headers.RetryAfter = Math.Clamp(Math.Ceiling(retryAfter.TotalSeconds), 1, 3600).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
