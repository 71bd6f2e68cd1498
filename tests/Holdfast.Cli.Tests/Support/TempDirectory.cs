namespace Holdfast.Cli.Tests.Support;

/// <summary>An empty directory of its own, removed afterwards: commands that read appsettings.json from the current directory run here.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "holdfast-cli-" + Guid.NewGuid().ToString("N")[..10]);

    public string Write(string name, string content)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, content);
        return file;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
