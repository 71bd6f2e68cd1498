using Npgsql;

namespace Holdfast;

public sealed partial class DatabaseEndpoint
{
    /// <summary>The suffix of the admin data source's application name.</summary>
    public const string AdminApplicationSuffix = "-admin";

    /// <summary>Npgsql's largest accepted connect timeout, in seconds.</summary>
    internal const int MaxNpgsqlTimeoutSeconds = 1024;

    /// <summary>
    /// An Npgsql connection string builder holding every setting of this endpoint, the password included.
    /// Treat its <c>ConnectionString</c> as a secret.
    /// </summary>
    /// <param name="applicationName">Overrides the application name; by default the source's, else the entry assembly's name.</param>
    public NpgsqlConnectionStringBuilder ToConnectionStringBuilder(string? applicationName = null)
    {
        // Npgsql's default GSS encryption mode "prefer" retries any failed open once without GSS (as libpq does),
        // so a wrong password reaches the server twice. Managed PostgreSQL offers no GSS encryption: off unless asked.
        var builder = new NpgsqlConnectionStringBuilder { GssEncryptionMode = GssEncryptionMode.Disable };
        foreach (var (keyword, value) in NpgsqlSettings)
        {
            builder[keyword] = value;
        }

        // libpq's sslrootcert=system: the system's CA bundle as the file (Npgsql given none would read PGSSLROOTCERT).
        builder.RootCertificate = RootCertificateFile;

        var portsDiffer = Hosts.Select(h => h.Port).Distinct().Count() > 1;
        builder.Host = string.Join(',', Hosts.Select(h => h.ToNpgsqlHost(withPort: portsDiffer)));
        builder.Port = Port;
        builder.Database = Database;
        builder.Username = Username;
        builder.Password = password;
        builder.SslMode = SslMode;
        builder.ApplicationName = applicationName ?? ApplicationName ?? DefaultApplicationName;
        if (ConnectTimeout is { } timeout)
        {
            builder.Timeout = ToNpgsqlTimeoutSeconds(timeout);
        }

        return builder;
    }

    /// <summary>A data source builder for the application's own pool.</summary>
    public NpgsqlDataSourceBuilder CreateDataSourceBuilder() =>
        new(ToConnectionStringBuilder().ConnectionString);

    /// <summary>
    /// A data source builder for schema setup and migrations: its own pool (at most
    /// <paramref name="maxPoolSize"/> connections) and its own application name (the application's plus
    /// <c>-admin</c>), so it never competes with request traffic and is told apart in <c>pg_stat_activity</c>.
    /// </summary>
    /// <param name="maxPoolSize">The admin pool's size; 2 by default.</param>
    /// <param name="applicationName">The application's name, before the suffix; by default the source's, else the entry assembly's.</param>
    public NpgsqlDataSourceBuilder CreateAdminDataSourceBuilder(int maxPoolSize = 2, string? applicationName = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPoolSize, 1);
        var builder = ToConnectionStringBuilder((applicationName ?? ApplicationName ?? DefaultApplicationName) + AdminApplicationSuffix);
        builder.MaxPoolSize = maxPoolSize;
        builder.MinPoolSize = 0;
        return new NpgsqlDataSourceBuilder(builder.ConnectionString);
    }

    /// <summary>Whole seconds for Npgsql's <c>Timeout</c> and <c>Command Timeout</c>, rounded up and kept within 1..1024.</summary>
    /// <param name="timeout">The timeout.</param>
    internal static int ToNpgsqlTimeoutSeconds(TimeSpan timeout) =>
        (int)Math.Clamp(Math.Ceiling(timeout.TotalSeconds), 1, MaxNpgsqlTimeoutSeconds);
}
