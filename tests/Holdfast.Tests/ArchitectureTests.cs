using System.Reflection;
using System.Text.RegularExpressions;

namespace Holdfast.Tests;

/// <summary>The shape ARCHITECTURE.md promises: folders that depend one way, a public surface designed to stay stable.</summary>
public sealed partial class ArchitectureTests
{
    private static readonly Assembly Core = typeof(HoldfastDataSource).Assembly;

    [Fact]
    public void CoreFolders_DependOneWay_AndResilienceDoesNotDependOnCapacity()
    {
        var graph = FolderGraph();

        Assert.True(graph.Count >= 8, $"expected the core's feature folders, found {string.Join(", ", graph.Keys)}");
        Assert.DoesNotContain("Capacity", graph["Resilience"].Keys);
        var cycle = FindCycle(graph);
        Assert.True(cycle is null, cycle is null ? "" : $"folders depend on each other in a cycle: {string.Join(" -> ", cycle)} " +
            $"(through {string.Join("; ", cycle.Zip(cycle.Skip(1)).Select(e => $"{e.First}->{e.Second}: {string.Join(", ", graph[e.First][e.Second].Take(3))}"))})");
    }

    [Fact]
    public void MainTypes_AreInNamespaceHoldfast()
    {
        Type[] main =
        [
            typeof(HoldfastDataSource), typeof(HoldfastDataSourceBuilder), typeof(HoldfastDataSourceOptions), typeof(DatabaseConnectionException),
            typeof(DatabaseUnavailableException), typeof(HoldfastConfigurationException), typeof(DatabaseEndpoint), typeof(FailureKind),
            typeof(DatabaseFailure), typeof(HoldfastEnvironment), typeof(CircuitState),
        ];

        Assert.All(main, type => Assert.Equal("Holdfast", type.Namespace));
    }

    [Fact]
    public void PublicSurface_LivesInTheDocumentedNamespaces_WithoutPositionalRecords()
    {
        string[] namespaces = ["Holdfast", "Holdfast.Startup", "Holdfast.Telemetry", "Holdfast.Timeouts", "Holdfast.Topology"];
        var exported = Core.GetExportedTypes();

        Assert.All(exported, type => Assert.Contains(type.Namespace, namespaces));
        // A positional record's constructor and Deconstruct change with every new field: public records grow by properties.
        Assert.DoesNotContain(exported, type => type.GetMethod("Deconstruct", BindingFlags.Public | BindingFlags.Instance) is not null);
        // Machinery the command and the host use stays internal.
        Assert.DoesNotContain(exported, type => type.Name is "DurationText" or "UnixSocketProbe" or "Backoff" or "SslModes" or "TimeoutFloors"
            or "SecretRedactor" or "AttemptTimeouts" or "PoolPlanner" or "HostProbe" or "PoolerDetector");
    }

    /// <summary>Folder → the folders its files use, with the type names that make each edge.</summary>
    private static Dictionary<string, Dictionary<string, SortedSet<string>>> FolderGraph()
    {
        var src = Path.Combine(RepositoryRoot(), "src", "Holdfast");
        var files = Directory.EnumerateDirectories(src)
            .Where(d => Path.GetFileName(d) is not ("bin" or "obj"))
            .SelectMany(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories).Select(f => (Folder: Path.GetFileName(d), File: f)))
            .ToList();
        // Top-level types only (nested ones are indented); a name declared in the file's own folder too (each folder's
        // internal 'Log') is its own.
        var owners = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (folder, file) in files)
        {
            foreach (Match m in TopLevelType().Matches(File.ReadAllText(file)))
            {
                (owners.TryGetValue(m.Groups["name"].Value, out var set) ? set : owners[m.Groups["name"].Value] = new HashSet<string>(StringComparer.Ordinal)).Add(folder);
            }
        }

        var graph = files.Select(f => f.Folder).Distinct().ToDictionary(f => f, _ => new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal));
        foreach (var (folder, file) in files)
        {
            var code = Comment().Replace(File.ReadAllText(file), "");
            foreach (Match word in Identifier().Matches(code))
            {
                if (owners.TryGetValue(word.Value, out var declared) && !declared.Contains(folder) && declared.Single() is var other)
                {
                    (graph[folder].TryGetValue(other, out var names) ? names : graph[folder][other] = new SortedSet<string>(StringComparer.Ordinal)).Add(word.Value);
                }
            }
        }

        return graph;
    }

    private static List<string>? FindCycle(Dictionary<string, Dictionary<string, SortedSet<string>>> graph)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();
        List<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph[node].Keys)
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    return [.. path.SkipWhile(n => n != next), next];
                }

                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } found)
                {
                    return found;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }

        return graph.Keys.Where(n => state.GetValueOrDefault(n) == 0).Select(Visit).FirstOrDefault(c => c is not null);
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

    [GeneratedRegex(@"^(?:(?:public|internal|sealed|static|abstract|partial|readonly|file)\s+)*(?:class|record|struct|enum|interface)\s+(?<name>\w+)", RegexOptions.Multiline)]
    private static partial Regex TopLevelType();

    [GeneratedRegex(@"//.*")]
    private static partial Regex Comment();

    [GeneratedRegex(@"\b[A-Z]\w*\b")]
    private static partial Regex Identifier();
}
