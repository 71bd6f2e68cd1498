using System.Reflection;
using Holdfast.Configuration;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Holdfast;

/// <summary>
/// Where the database is and who connects: resolved from an explicit connection string,
/// <c>ConnectionStrings:Database</c>, <c>DATABASE_URL</c> or the <c>POSTGRES_*</c> variables (first found wins).
/// Every display form is redacted: <see cref="ToString"/> never shows the password.
/// </summary>
public sealed partial class DatabaseEndpoint
{
    /// <summary>The configuration key of the explicit connection string.</summary>
    public const string ConnectionStringName = "Database";

    /// <summary>The variable holding a database URL.</summary>
    public const string DatabaseUrlVariable = "DATABASE_URL";

    private readonly string? password;

    internal DatabaseEndpoint(EndpointDraft draft, IReadOnlyList<DatabaseHost> hosts, string database)
    {
        Source = draft.Source;
        SourceName = draft.Setting;
        Hosts = hosts;
        Database = database;
        Username = draft.Username!;
        password = draft.Password;
        SslMode = TlsFiles.Check(draft.SslMode, draft.NpgsqlSettings, draft.Setting);
        SslModeGiven = draft.SslMode is not null;
        ApplicationName = draft.ApplicationName;
        ConnectTimeout = draft.ConnectTimeout;
        NpgsqlSettings = new Dictionary<string, string>(draft.NpgsqlSettings, StringComparer.OrdinalIgnoreCase);
        Warnings = [.. draft.Warnings];
    }

    /// <summary>A copy with libpq's TLS variables applied where the source said nothing (<see cref="LibpqTlsVariables"/>).</summary>
    private DatabaseEndpoint(DatabaseEndpoint source, SslMode? sslMode, IReadOnlyDictionary<string, string> tlsSettings)
    {
        Source = source.Source;
        SourceName = source.SourceName;
        Hosts = source.Hosts;
        Database = source.Database;
        Username = source.Username;
        password = source.password;
        ApplicationName = source.ApplicationName;
        ConnectTimeout = source.ConnectTimeout;
        var settings = new Dictionary<string, string>(source.NpgsqlSettings, StringComparer.OrdinalIgnoreCase);
        foreach (var (keyword, value) in tlsSettings)
        {
            settings[keyword] = value;
        }

        NpgsqlSettings = settings;
        SslModeGiven = source.SslModeGiven || sslMode is not null;
        SslMode = TlsFiles.Check(sslMode ?? (source.SslModeGiven ? source.SslMode : null), settings,
            sslMode is null ? source.SourceName : LibpqTlsVariables.SslMode);
        Warnings = source.Warnings;
    }

    /// <summary>Which kind of source the settings came from.</summary>
    public EndpointSource Source { get; }

    /// <summary>The variable or key the settings came from, e.g. <c>DATABASE_URL</c> or <c>POSTGRES_HOST</c>.</summary>
    public string SourceName { get; }

    /// <summary>Every server address, in order; usually one.</summary>
    public IReadOnlyList<DatabaseHost> Hosts { get; }

    /// <summary>The first host: a host name, IP address or Unix socket directory.</summary>
    public string Host => Hosts[0].Host;

    /// <summary>The first host's port.</summary>
    public int Port => Hosts[0].Port;

    /// <summary>The Unix socket directory when the endpoint is a socket (e.g. <c>/cloudsql/p:r:i</c>); otherwise null.</summary>
    public string? SocketDirectory => Hosts[0].IsUnixSocket ? Host : null;

    /// <summary>The database name; the user name when the source gives none (as libpq does).</summary>
    public string Database { get; }

    /// <summary>The user name.</summary>
    public string Username { get; }

    /// <summary>True when a password is configured. The password itself is never exposed for display.</summary>
    public bool HasPassword => !string.IsNullOrEmpty(password);

    /// <summary>The SSL mode; <see cref="SslMode.Prefer"/> when the source gives none.</summary>
    public SslMode SslMode { get; }

    /// <summary>The application name the source gives, or null (then data sources use the entry assembly's name).</summary>
    public string? ApplicationName { get; }

    /// <summary>The source's own connect timeout (<c>connect_timeout</c>, <c>Timeout</c>), or null.</summary>
    public TimeSpan? ConnectTimeout { get; }

    /// <summary>Further Npgsql settings the source gives (e.g. <c>Target Session Attributes</c>), by Npgsql keyword.</summary>
    public IReadOnlyDictionary<string, string> NpgsqlSettings { get; }

    /// <summary>
    /// The role a connection must find its server in (<c>target_session_attrs</c>, libpq's names: <c>any</c>,
    /// <c>primary</c>, <c>standby</c>, <c>prefer-standby</c>, <c>read-write</c>, ...); <c>any</c> when the source gives none.
    /// </summary>
    public string TargetSessionAttributes =>
        NpgsqlSettings.FirstOrDefault(s => string.Equals(s.Key.Replace(" ", "", StringComparison.Ordinal), "TargetSessionAttributes", StringComparison.OrdinalIgnoreCase))
            .Value?.Trim().ToLowerInvariant() ?? "any";

    /// <summary>True when the endpoint lists more than one host (a primary and its standbys, for failover).</summary>
    public bool IsMultiHost => Hosts.Count > 1;

    /// <summary>Things that parse but are likely mistakes, such as a password ending in a newline.</summary>
    public IReadOnlyList<string> Warnings { get; }

    internal string? Password => password;

    /// <summary>Parses a URL (<c>postgres://...</c>) or an Npgsql key-value connection string.</summary>
    /// <param name="connection">The URL or connection string.</param>
    /// <param name="setting">The name to use in error messages, e.g. <c>--connection</c>.</param>
    /// <exception cref="HoldfastConfigurationException">The input is malformed.</exception>
    public static DatabaseEndpoint Parse(string connection, string setting = "connection") =>
        Parse(connection, EndpointSource.Explicit, setting);

    /// <summary>
    /// Resolves the endpoint from configuration: <paramref name="explicitConnection"/>, then
    /// <c>ConnectionStrings:Database</c>, then <c>DATABASE_URL</c>, then <c>POSTGRES_*</c>.
    /// </summary>
    /// <param name="configuration">Configuration holding the variables (environment variables map one to one).</param>
    /// <param name="explicitConnection">A URL or connection string that wins over everything, e.g. from <c>--connection</c>.</param>
    /// <exception cref="HoldfastConfigurationException">No source is set, or the one found is malformed.</exception>
    public static DatabaseEndpoint Resolve(IConfiguration configuration, string? explicitConnection = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (!string.IsNullOrWhiteSpace(explicitConnection))
        {
            return LibpqTlsVariables.Apply(Parse(explicitConnection, EndpointSource.Explicit, "--connection"), configuration);
        }

        if (configuration.GetConnectionString(ConnectionStringName) is { } connectionString && !string.IsNullOrWhiteSpace(connectionString))
        {
            return LibpqTlsVariables.Apply(Parse(connectionString, EndpointSource.ConnectionString, $"ConnectionStrings:{ConnectionStringName}"), configuration);
        }

        if (configuration[DatabaseUrlVariable] is { } url && !string.IsNullOrWhiteSpace(url))
        {
            return LibpqTlsVariables.Apply(DatabaseUrlParser.Parse(url, EndpointSource.DatabaseUrl, DatabaseUrlVariable), configuration);
        }

        var variables = PostgresVariables.TryRead(configuration);
        return variables is not null ? LibpqTlsVariables.Apply(variables, configuration) : throw new HoldfastConfigurationException(DatabaseUrlVariable,
            "no database is configured (none of ConnectionStrings:Database, DATABASE_URL, POSTGRES_HOST is set)",
            "set DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DATABASE, or POSTGRES_HOST with POSTGRES_PORT, POSTGRES_DB, POSTGRES_USER and POSTGRES_PASSWORD");
    }

    /// <summary>Resolves the endpoint from the process environment variables.</summary>
    /// <param name="explicitConnection">A URL or connection string that wins over the environment.</param>
    /// <exception cref="HoldfastConfigurationException">No source is set, or the one found is malformed.</exception>
    public static DatabaseEndpoint FromEnvironment(string? explicitConnection = null) =>
        Resolve(new ConfigurationBuilder().AddEnvironmentVariables().Build(), explicitConnection);

    /// <summary>True when any endpoint source is present in <paramref name="configuration"/>.</summary>
    /// <param name="configuration">Configuration holding the variables.</param>
    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration.GetConnectionString(ConnectionStringName)) ||
        !string.IsNullOrWhiteSpace(configuration[DatabaseUrlVariable]) ||
        !string.IsNullOrWhiteSpace(configuration[PostgresVariables.Host]);

    /// <summary>The redacted URL form, e.g. <c>postgres://app:***@db:5432/app?sslmode=require</c>.</summary>
    public override string ToString() => EndpointDisplay.Format(this);

    /// <summary>The default application name: the entry assembly's name, or <c>holdfast</c>.</summary>
    internal static string DefaultApplicationName => Assembly.GetEntryAssembly()?.GetName().Name ?? "holdfast";

    private static DatabaseEndpoint Parse(string connection, EndpointSource source, string setting) =>
        DatabaseUrlParser.LooksLikeUrl(connection.Trim())
            ? DatabaseUrlParser.Parse(connection, source, setting)
            : ConnectionStringParser.Parse(connection, source, setting);
}
