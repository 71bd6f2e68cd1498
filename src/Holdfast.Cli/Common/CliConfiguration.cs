using Holdfast.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;

namespace Holdfast.Cli.Common;

/// <summary>
/// The configuration commands read, the way the service reads it: <c>appsettings.json</c> and
/// <c>appsettings.{Environment}.json</c> from the current directory when present, then each <c>--config</c> file, then the
/// environment variables, which win. {Environment} is the host's: <c>--environment</c> when given, else
/// <c>ASPNETCORE_ENVIRONMENT</c>, <c>DOTNET_ENVIRONMENT</c>, else Production — ASP.NET Core's rule, so the files are the
/// ones the service would read even when <c>HOLDFAST_ENVIRONMENT</c> names another Holdfast environment.
/// </summary>
internal static class CliConfiguration
{
    public static IConfiguration Load(IReadOnlyList<string>? configFiles = null, HoldfastEnvironment? environment = null)
    {
        var directory = Directory.GetCurrentDirectory();
        var builder = new ConfigurationBuilder()
            .SetBasePath(directory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{HostEnvironmentName(environment)}.json", optional: true);
        foreach (var file in configFiles ?? [])
        {
            var path = Path.GetFullPath(file, directory);
            if (!File.Exists(path))
            {
                throw new HoldfastConfigurationException("--config", $"the file '{file}' does not exist", "give the path of a JSON configuration file");
            }

            builder.AddJsonFile(path, optional: false);
        }

        try
        {
            return builder.AddEnvironmentVariables().Build();
        }
        catch (InvalidDataException ex)
        {
            throw new HoldfastConfigurationException("--config", $"a file is not valid JSON ({ex.Message.TrimEnd('.')})", "fix the JSON syntax");
        }
    }

    /// <summary>Which file or variable gave <paramref name="key"/> its value: the last provider that has it wins, as in the service.</summary>
    public static string? Origin(IConfiguration configuration, string key)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return null;
        }

        foreach (var provider in root.Providers.Reverse())
        {
            if (provider.TryGet(key, out _))
            {
                return provider switch
                {
                    JsonConfigurationProvider json => json.Source.Path,
                    EnvironmentVariablesConfigurationProvider => "env " + key.Replace(":", "__", StringComparison.Ordinal),
                    _ => provider.GetType().Name,
                };
            }
        }

        return null;
    }

    /// <summary>The configuration files that exist and were read, in the order read.</summary>
    public static IReadOnlyList<string> Files(IConfiguration configuration) =>
        configuration is IConfigurationRoot root
            ? [.. root.Providers.OfType<JsonConfigurationProvider>()
                .Select(p => p.Source.FileProvider?.GetFileInfo(p.Source.Path ?? ""))
                .Where(f => f is { Exists: true, PhysicalPath: not null })
                .Select(f => f!.PhysicalPath!)]
            : [];

    private static string HostEnvironmentName(HoldfastEnvironment? forced)
    {
        if (forced is { } environment)
        {
            var name = environment.ToName();
            return char.ToUpperInvariant(name[0]) + name[1..];
        }

        return new[] { "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT" }
            .Select(Environment.GetEnvironmentVariable)
            .FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim() ?? "Production";
    }
}
