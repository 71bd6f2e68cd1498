namespace Holdfast.Faults;

/// <summary>A classified failure: its kind, whether a retry can help, and what to do about it.</summary>
/// <param name="Kind">The kind of failure.</param>
/// <param name="IsTransient">True when a retry can help.</param>
/// <param name="SqlState">The server's SQLSTATE, when the server answered with an error.</param>
/// <param name="Message">The underlying error message, with any password removed.</param>
/// <param name="Diagnosis">One paragraph: what happened, why, and the fix.</param>
public sealed record DatabaseFailure(FailureKind Kind, bool IsTransient, string? SqlState, string Message, string Diagnosis)
{
    /// <summary>True for kinds that need a change of configuration or credentials.</summary>
    public bool IsPermanent => Kind.IsPermanent();

    /// <summary>The process exit code for this failure.</summary>
    public int ExitCode => Kind.ToExitCode();

    /// <inheritdoc />
    public override string ToString() =>
        $"{Kind}{(SqlState is null ? "" : $" ({SqlState})")}{(IsTransient ? ", transient" : IsPermanent ? ", permanent" : "")}: {Diagnosis}";
}
