using System.Text.RegularExpressions;

namespace Holdfast.Cli.Tests.Docs;

/// <summary>
/// One runnable example of a guide in docs/: after a <c>&lt;!-- example: NAME --&gt;</c> marker, the fenced blocks
/// <c>json file=NAME</c> (files to create), <c>sh</c> (the command, optionally after VAR=value assignments) and
/// <c>text exit=N</c> (the exit code, and lines that must appear in the output, white space aside).
/// </summary>
internal sealed partial record DocExample(string Document, string Name, IReadOnlyDictionary<string, string> Files,
    IReadOnlyDictionary<string, string> Environment, IReadOnlyList<string> Arguments, int ExitCode, IReadOnlyList<string> ExpectedLines)
{
    public static string Docs { get; } = Path.Combine(RepositoryRoot(), "docs");

    public static IReadOnlyList<DocExample> All() =>
        [.. Directory.GetFiles(Docs, "*.md").Order(StringComparer.Ordinal).SelectMany(Parse)];

    private static IEnumerable<DocExample> Parse(string path)
    {
        var text = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal);
        var markers = Marker().Matches(text);
        for (var i = 0; i < markers.Count; i++)
        {
            var start = markers[i].Index + markers[i].Length;
            var end = i + 1 < markers.Count ? markers[i + 1].Index : text.Length;
            var heading = text.IndexOf("\n## ", start, StringComparison.Ordinal);
            var body = text[start..(heading > 0 && heading < end ? heading : end)];
            var files = new Dictionary<string, string>(StringComparer.Ordinal);
            string? command = null;
            int? exit = null;
            var expected = new List<string>();
            foreach (Match block in Fence().Matches(body))
            {
                var info = block.Groups["info"].Value.Trim();
                var content = block.Groups["content"].Value;
                if (info.StartsWith("json file=", StringComparison.Ordinal))
                {
                    files[info["json file=".Length..]] = content;
                }
                else if (info == "sh")
                {
                    command = content.Trim();
                }
                else if (info.StartsWith("text exit=", StringComparison.Ordinal))
                {
                    exit = int.Parse(info["text exit=".Length..], System.Globalization.CultureInfo.InvariantCulture);
                    expected.AddRange(content.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));
                }
            }

            var name = markers[i].Groups["name"].Value;
            if (command is null || exit is null)
            {
                throw new InvalidOperationException($"{Path.GetFileName(path)} example '{name}' needs a sh block and a text exit=N block.");
            }

            var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var environment = words.TakeWhile(w => w.Contains('=') && w != "holdfast" && !w.StartsWith('-'))
                .ToDictionary(w => w[..w.IndexOf('=')], w => w[(w.IndexOf('=') + 1)..].Trim('\''));
            var rest = words.Skip(environment.Count).ToList();
            if (rest.FirstOrDefault() != "holdfast")
            {
                throw new InvalidOperationException($"{Path.GetFileName(path)} example '{name}' must run holdfast.");
            }

            yield return new DocExample(Path.GetFileName(path), name, files, environment, rest.Skip(1).ToList(), exit.Value, expected);
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Holdfast.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Holdfast.slnx) was not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"<!-- example: (?<name>[a-z0-9-]+) -->")]
    private static partial Regex Marker();

    [GeneratedRegex(@"```(?<info>[^\n]*)\n(?<content>.*?)```", RegexOptions.Singleline)]
    private static partial Regex Fence();
}
