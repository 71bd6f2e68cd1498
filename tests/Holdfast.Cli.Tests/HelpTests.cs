using Holdfast.Cli.Tests.Support;

namespace Holdfast.Cli.Tests;

public sealed class HelpTests
{
    [Theory]
    [InlineData("doctor")]
    [InlineData("validate")]
    [InlineData("plan")]
    [InlineData("simulate")]
    [InlineData("monitor")]
    [InlineData("wait")]
    public async Task Help_EveryCommand_HasExamplesAndAJsonOption(string command)
    {
        var run = await CliProcess.RunAsync(command, "--help");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Examples:", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"holdfast {command}", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("--json", run.Stdout, StringComparison.Ordinal);
    }
}
