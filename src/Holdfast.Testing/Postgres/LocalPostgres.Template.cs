namespace Holdfast.Testing;

public sealed partial class LocalPostgres
{
    private static readonly Lock TemplatesGate = new();
    private static readonly Dictionary<string, Task<ClusterTemplate>> Templates = new(StringComparer.Ordinal);

    /// <summary>
    /// The fresh cluster every new one starts as: one <c>initdb</c> per process, base directory and PostgreSQL, whose data
    /// directory each cluster copies (about 0.1 s) instead of running <c>initdb</c> again (about 1 s of CPU). The clusters
    /// of a process share its superuser password; each has its own test role's. A template that failed is made again.
    /// </summary>
    private static Task<ClusterTemplate> TemplateAsync(PostgresTools tools, string baseDirectory)
    {
        var key = baseDirectory + "\n" + tools.BinDirectory;
        lock (TemplatesGate)
        {
            if (!Templates.TryGetValue(key, out var template) || template.IsFaulted || template.IsCanceled)
            {
                if (Templates.Count == 0)
                {
                    AppDomain.CurrentDomain.ProcessExit += static (_, _) => DeleteTemplates();
                }

                template = ClusterTemplate.CreateAsync(tools, NewRootDirectory(baseDirectory), NewPassword());
                Templates[key] = template;
            }

            return template;
        }
    }

    private static void DeleteTemplates()
    {
        lock (TemplatesGate)
        {
            foreach (var template in Templates.Values.Where(t => t.IsCompletedSuccessfully))
            {
                LocalResources.DeleteDirectory(template.Result.RootDirectory);
            }
        }
    }

    /// <summary>Copies the template's data directory into this cluster's (keeping the files' owner, the server's user).</summary>
    private async Task CopyTemplateAsync(ClusterTemplate template, CancellationToken cancellationToken)
    {
        await CreateRootAsync(cancellationToken);
        await PostgresTools.RunProcessAsync("cp", ["-a", template.DataDirectory, DataDirectory], TimeSpan.FromMinutes(1), cancellationToken);
        await PostgresTools.GiveToServiceUserAsync(RootDirectory, cancellationToken);
        await tools.EnsureServiceUserCanWriteAsync(RootDirectory, cancellationToken);
    }

    /// <summary>A cluster fresh from <c>initdb</c>, never started, under a directory the stale-cluster clean-up knows.</summary>
    private sealed record ClusterTemplate(string RootDirectory, string SuperuserPassword)
    {
        public string DataDirectory => Path.Combine(RootDirectory, "data");

        public static async Task<ClusterTemplate> CreateAsync(PostgresTools tools, string rootDirectory, string superuserPassword)
        {
            Directory.CreateDirectory(rootDirectory);
            await File.WriteAllTextAsync(Path.Combine(rootDirectory, OwnerFile), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var passwordFile = Path.Combine(rootDirectory, "superuser.pw");
            await File.WriteAllTextAsync(passwordFile, superuserPassword);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var template = new ClusterTemplate(rootDirectory, superuserPassword);
            try
            {
                await PostgresTools.GiveToServiceUserAsync(rootDirectory, CancellationToken.None);
                await tools.EnsureServiceUserCanWriteAsync(rootDirectory, CancellationToken.None);
                await tools.RunAsync("initdb",
                    ["-D", template.DataDirectory, "-U", SuperuserName, $"--pwfile={passwordFile}", "--auth=scram-sha-256",
                     "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions"],
                    TimeSpan.FromMinutes(2), CancellationToken.None);
                return template;
            }
            catch
            {
                LocalResources.DeleteDirectory(rootDirectory);
                throw;
            }
            finally
            {
                File.Delete(passwordFile);
            }
        }
    }
}
