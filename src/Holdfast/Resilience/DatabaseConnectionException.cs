using Npgsql;

namespace Holdfast;

/// <summary>
/// A guarded open or execute failed: the message is the diagnosis with its fix, <see cref="Failure"/> says what kind
/// of failure it was, and the original exception is the inner one. It is an <see cref="NpgsqlException"/>, so code
/// that catches those keeps working, and <see cref="IsTransient"/> is Holdfast's corrected verdict (pool exhaustion
/// and query timeouts are not transient).
/// </summary>
public class DatabaseConnectionException : NpgsqlException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="failure">The classified failure.</param>
    /// <param name="attempts">How many attempts were made.</param>
    /// <param name="elapsed">How long the caller waited.</param>
    /// <param name="budgetExhausted">True when the attempts ran out of budget rather than meeting a permanent failure.</param>
    /// <param name="innerException">The original exception.</param>
    internal DatabaseConnectionException(DatabaseFailure failure, int attempts, TimeSpan elapsed, bool budgetExhausted, Exception? innerException)
        : base(Describe(failure, attempts, elapsed, budgetExhausted), innerException)
    {
        Failure = failure;
        Attempts = attempts;
        Elapsed = elapsed;
        BudgetExhausted = budgetExhausted;
    }

    /// <summary>What went wrong.</summary>
    public DatabaseFailure Failure { get; }

    /// <summary>How many attempts were made (0 when the call was refused before any).</summary>
    public int Attempts { get; }

    /// <summary>How long the caller waited.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>True when the budget ran out while retrying a transient failure.</summary>
    public bool BudgetExhausted { get; }

    /// <inheritdoc />
    public override bool IsTransient => Failure.IsTransient;

    private static string Describe(DatabaseFailure failure, int attempts, TimeSpan elapsed, bool budgetExhausted) =>
        (budgetExhausted
            ? $"No database connection within the {elapsed.TotalSeconds:0.#} s budget after {attempts} attempt{(attempts == 1 ? "" : "s")}; last failure: {failure.Kind}. "
            : $"{failure.Kind} after {attempts} attempt{(attempts == 1 ? "" : "s")} ({elapsed.TotalSeconds:0.###} s). ") + failure.Diagnosis;
}
