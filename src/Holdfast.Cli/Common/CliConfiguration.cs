using Microsoft.Extensions.Configuration;

namespace Holdfast.Cli.Common;

/// <summary>The configuration commands read: the process environment, as the service itself would see it.</summary>
internal static class CliConfiguration
{
    public static IConfiguration Load() => new ConfigurationBuilder().AddEnvironmentVariables().Build();
}
