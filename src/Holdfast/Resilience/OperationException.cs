namespace Holdfast.Resilience;

/// <summary>
/// Carries a failure of the caller's operation (after the connection opened) through the pipeline, so it is
/// classified as a command failure and, when not retried, rethrown to the caller unchanged. Never thrown.
/// </summary>
internal sealed class OperationException(Exception original) : Exception(original.Message, original)
{
    public Exception Original { get; } = original;
}
