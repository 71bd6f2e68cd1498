using Spectre.Console;

namespace Holdfast.Cli.Common;

/// <summary>Where a command writes: a Spectre console for people (stdout), plain writers for JSON and errors.</summary>
internal sealed class CliConsole(TextWriter output, TextWriter error)
{
    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    public IAnsiConsole Ansi { get; } = CreateAnsi(output);

    public static CliConsole System() => new(Console.Out, Console.Error);

    public void WriteError(string message) => Error.WriteLine($"holdfast: {message}");

    private static IAnsiConsole CreateAnsi(TextWriter output)
    {
        var redirected = !ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (redirected)
        {
            // Logs and pipes get whole lines (grep-able) instead of text wrapped at an imaginary terminal width.
            console.Profile.Width = 500;
        }

        return console;
    }
}
