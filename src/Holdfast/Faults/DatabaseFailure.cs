namespace Holdfast;

/// <summary>A classified failure: its kind, whether a retry can help, and what to do about it.</summary>
public sealed record DatabaseFailure
{
    internal DatabaseFailure(FailureKind kind, bool isTransient, string? sqlState, string message, string diagnosis)
    {
        Kind = kind;
        IsTransient = isTransient;
        SqlState = sqlState;
        Message = message;
        Diagnosis = diagnosis;
    }

    /// <summary>The kind of failure.</summary>
    public FailureKind Kind { get; init; }

    /// <summary>True when a retry can help.</summary>
    public bool IsTransient { get; init; }

    /// <summary>The server's SQLSTATE, when the server answered with an error.</summary>
    public string? SqlState { get; init; }

    /// <summary>The underlying error message, with any password removed.</summary>
    public string Message { get; init; }

    /// <summary>One paragraph: what happened, why, and the fix.</summary>
    public string Diagnosis { get; init; }

    /// <summary>True for kinds that need a change of configuration or credentials.</summary>
    public bool IsPermanent => Kind.IsPermanent();

    /// <summary>The process exit code for this failure.</summary>
    public int ExitCode => Kind.ToExitCode();

    /// <inheritdoc />
    public override string ToString() =>
        $"{Kind}{(SqlState is null ? "" : $" ({SqlState})")}{(IsTransient ? ", transient" : IsPermanent ? ", permanent" : "")}: {Diagnosis}";
}
