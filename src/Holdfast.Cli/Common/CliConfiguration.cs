using Holdfast.Configuration;
using Holdfast.Timeouts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;

namespace Holdfast.Cli.Common;

/// <summary>
/// The configuration commands read, the way the service reads it: <c>appsettings.json</c> and
/// <c>appsettings.{Environment}.json</c> from the current directory when present, then each <c>--config</c> file, then the
/// environment variables, which win.
/// </summary>
internal static class CliConfiguration
{
    public static IConfiguration Load(IReadOnlyList<string>? configFiles = null, HoldfastEnvironment? environment = null)
    {
        var directory = Directory.GetCurrentDirectory();
        var variables = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var name = environment ?? EnvironmentDetection.Detect(variables).Environment;
        var builder = new ConfigurationBuilder()
            .SetBasePath(directory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{Capitalize(name.ToName())}.json", optional: true);
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

    private static string Capitalize(string name) => char.ToUpperInvariant(name[0]) + name[1..];
}
