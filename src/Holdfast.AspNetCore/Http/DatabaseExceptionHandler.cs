using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Holdfast.AspNetCore.Http;

/// <summary>
/// With <c>app.UseExceptionHandler()</c>, turns a database outage escaping any endpoint (one without
/// <c>RequireDatabase()</c>) into 503 problem+json with Retry-After instead of a 500.
/// </summary>
internal sealed class DatabaseExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (DatabaseProblem.From(exception) is not { } problem)
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        DatabaseProblem.SetRetryAfter(httpContext, problem.RetryAfter);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = 503, Title = "Database unavailable", Detail = problem.Detail, Type = DatabaseProblem.Type },
        }).ConfigureAwait(false);
    }
}
