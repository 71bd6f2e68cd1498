namespace Holdfast.Cli.Common;

/// <summary>A command could not reach or use the database: the classified failure decides the message and the exit code.</summary>
internal sealed class CliFailureException(DatabaseFailure failure) : Exception(failure.Diagnosis)
{
    public DatabaseFailure Failure { get; } = failure;
}
