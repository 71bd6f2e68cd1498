namespace Holdfast.Cli.Common;

/// <summary>The command was given inputs it cannot use: each line says what is wrong; exit 2, and JSON too with <c>--json</c>.</summary>
internal sealed class CliUsageException : Exception
{
    public CliUsageException(IReadOnlyList<string> lines)
        : base(string.Join("; ", lines)) => Lines = lines;

    public CliUsageException()
        : this([])
    {
    }

    public CliUsageException(string message)
        : this([message])
    {
    }

    public CliUsageException(string message, Exception inner)
        : base(message, inner) => Lines = [message];

    public IReadOnlyList<string> Lines { get; }
}
