namespace Holdfast.Configuration;

/// <summary>Knowledge of Cloud SQL's Unix socket layout, <c>/cloudsql/PROJECT:REGION:INSTANCE</c>.</summary>
internal static class CloudSqlSocket
{
    public const string Prefix = "/cloudsql/";

    /// <summary>Checks a socket directory; returns a problem description or null when it is usable.</summary>
    public static ConfigurationProblem? Check(string setting, string directory)
    {
        if (directory.Contains("/.s.PGSQL.", StringComparison.Ordinal))
        {
            return new ConfigurationProblem(setting,
                $"'{directory}' names the socket file, not its directory",
                "give the directory only (drop the trailing '/.s.PGSQL.PORT'); the port picks the file");
        }

        if (!directory.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var connectionName = directory[Prefix.Length..].TrimEnd('/');
        var parts = connectionName.Split(':');
        if (parts.Length < 3 || parts.Any(string.IsNullOrWhiteSpace) || connectionName.Contains('/'))
        {
            return new ConfigurationProblem(setting,
                $"'{directory}' is not a Cloud SQL socket directory",
                "use /cloudsql/PROJECT:REGION:INSTANCE, the instance connection name that " +
                "'gcloud sql instances describe INSTANCE --format=value(connectionName)' prints");
        }

        return null;
    }

    /// <summary>The instance connection name (PROJECT:REGION:INSTANCE) of a Cloud SQL socket directory.</summary>
    public static string InstanceConnectionName(string directory) => directory[Prefix.Length..].TrimEnd('/');
}
