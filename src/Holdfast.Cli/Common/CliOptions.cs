using System.CommandLine;
using Holdfast.Configuration;

namespace Holdfast.Cli.Common;

/// <summary>The options every command shares: where the database is, which environment, and JSON output.</summary>
internal sealed class CliOptions
{
    public Option<string?> Connection { get; } = new("--connection", "-c")
    {
        Description = "A postgres:// URL or Npgsql connection string; wins over ConnectionStrings__Database, DATABASE_URL and POSTGRES_*.",
        Recursive = true,
    };

    public Option<HoldfastEnvironment?> Environment { get; } = new("--environment", "-e")
    {
        Description = "development, test, staging or production; default from HOLDFAST_ENVIRONMENT, ENVIRONMENT, ASPNETCORE_ENVIRONMENT, DOTNET_ENVIRONMENT, else production (as the .NET host).",
        HelpName = "development|test|staging|production",
        Recursive = true,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (EnvironmentDetection.TryParse(text, out var environment))
            {
                return environment;
            }

            result.AddError($"'{text}' is not an environment: use development, test, staging or production.");
            return null;
        },
    };

    public static Option<bool> JsonFlag() => new("--json")
    {
        Description = "Write one JSON document to stdout instead of tables (for scripts).",
    };

    public static Option<string[]> ConfigFiles() => new("--config")
    {
        Description = "A JSON configuration file to read after appsettings.json and appsettings.{Environment}.json (repeatable); environment variables still win, as in the service.",
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(RootCommand root)
    {
        root.Options.Add(Connection);
        root.Options.Add(Environment);
    }
}
