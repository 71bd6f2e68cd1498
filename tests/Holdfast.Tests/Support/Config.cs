using Microsoft.Extensions.Configuration;

namespace Holdfast.Tests.Support;

/// <summary>Configuration built from NAME=value lines, as environment variables would give it.</summary>
internal static class Config
{
    public static IConfiguration From(params string[] variables) => new ConfigurationBuilder()
        .AddInMemoryCollection(variables.Select(v =>
        {
            var equals = v.IndexOf('=');
            return new KeyValuePair<string, string?>(v[..equals], v[(equals + 1)..]);
        }))
        .Build();
}
