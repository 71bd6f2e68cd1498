namespace Holdfast;

/// <summary>
/// The circuit is open: the database failed repeatedly, so calls are refused at once instead of waiting on a dead
/// path. <see cref="RetryAfter"/> says when the database will next be tried; answer 503 with <c>Retry-After</c>.
/// </summary>
public sealed class DatabaseUnavailableException : DatabaseConnectionException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">The breaker's state when the call was refused.</param>
    /// <param name="retryAfter">How long until the database is next tried.</param>
    internal DatabaseUnavailableException(CircuitStatus status, TimeSpan retryAfter)
        : base(LastFailureOf(status), 0, TimeSpan.Zero, budgetExhausted: false, innerException: null)
    {
        Status = status;
        RetryAfter = retryAfter;
    }

    /// <summary>The breaker's state when the call was refused.</summary>
    public CircuitStatus Status { get; }

    /// <summary>How long until the database is next tried; use it for <c>Retry-After</c>.</summary>
    public TimeSpan RetryAfter { get; }

    /// <inheritdoc />
    public override string Message =>
        $"The database is unavailable: the circuit is {Status.State.ToString().ToLowerInvariant()} after {Status.ConsecutiveFailures} failures; " +
        $"next try in {RetryAfter.TotalSeconds:0.#} s. Last failure: {Status.LastFailure?.Kind.ToString() ?? "unknown"}. {Status.LastFailure?.Diagnosis}";

    private static DatabaseFailure LastFailureOf(CircuitStatus status) => status.LastFailure ??
        FailureClassifier.FromKind(FailureKind.Unknown, "the circuit was opened by hand");
}
