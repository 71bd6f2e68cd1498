using System.Text.RegularExpressions;
using Holdfast.Cli.Tests.Support;

namespace Holdfast.Cli.Tests.Docs;

/// <summary>The guides' copy-paste examples, run as written, so the guides stay true.</summary>
public sealed partial class DocsExamplesTests
{
    public static TheoryData<string> Examples => new(DocExample.All().Select(e => $"{e.Document}#{e.Name}"));

    [Fact]
    public void Guides_HaveRunnableExamples()
    {
        var examples = DocExample.All();

        Assert.True(examples.Count(e => e.Document == "timeouts.md") >= 6, "the timeout guide");
        Assert.True(examples.Count(e => e.Document == "startup.md") >= 6, "the start-up guide");
        Assert.True(examples.Count(e => e.Document == "high-availability.md") >= 4, "the high-availability guide");
        Assert.True(examples.Count(e => e.Document == "managed-postgres.md") >= 3, "the managed PostgreSQL guide");
        Assert.All(examples, e => Assert.NotEmpty(e.ExpectedLines));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Example_RunsAsDocumented(string id)
    {
        var example = DocExample.All().Single(e => $"{e.Document}#{e.Name}" == id);
        using var directory = new TempDirectory();
        foreach (var (name, content) in example.Files)
        {
            directory.Write(name, content);
        }

        var run = await CliProcess.RunAsync(example.Arguments, example.Environment.ToDictionary(), workingDirectory: directory.Path);

        Assert.True(run.ExitCode == example.ExitCode, $"{id}: expected exit {example.ExitCode}\n{run}");
        var output = Normalize(run.All);
        Assert.All(example.ExpectedLines, line => Assert.True(output.Contains(Normalize(line), StringComparison.Ordinal), $"{id}: missing «{line}»\n{run}"));
    }

    private static string Normalize(string text) => Spaces().Replace(text, " ");

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
