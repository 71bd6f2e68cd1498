using Microsoft.Extensions.Configuration;

namespace Holdfast.Configuration;

/// <summary>
/// Reads the <c>POSTGRES_HOST</c>, <c>POSTGRES_PORT</c>, <c>POSTGRES_DB</c>, <c>POSTGRES_USER</c>,
/// <c>POSTGRES_PASSWORD</c> set (and the optional <c>POSTGRES_SSLMODE</c>). The set counts as present
/// when <c>POSTGRES_HOST</c> is set; the user defaults to <c>postgres</c> and the database to the user,
/// as in the official PostgreSQL image.
/// </summary>
internal static class PostgresVariables
{
    public const string Host = "POSTGRES_HOST";
    public const string Port = "POSTGRES_PORT";
    public const string Database = "POSTGRES_DB";
    public const string User = "POSTGRES_USER";
    public const string Password = "POSTGRES_PASSWORD";
    public const string SslMode = "POSTGRES_SSLMODE";
    public const string DefaultUser = "postgres";

    private static readonly string[] Others = [Port, Database, User, Password, SslMode];

    public static DatabaseEndpoint? TryRead(IConfiguration configuration)
    {
        var host = Value(configuration, Host);
        if (host is null)
        {
            var stray = Others.Where(name => Value(configuration, name) is not null).ToList();
            if (stray.Count > 0)
            {
                throw new HoldfastConfigurationException(Host,
                    $"is not set, but {string.Join(", ", stray)} {(stray.Count == 1 ? "is" : "are")}",
                    "set POSTGRES_HOST to the server's host name or socket directory (e.g. /cloudsql/PROJECT:REGION:INSTANCE), or set DATABASE_URL instead");
            }

            return null;
        }

        var draft = new EndpointDraft(EndpointSource.PostgresVariables, Host)
        {
            Hosts = [host],
            Username = Value(configuration, User) ?? DefaultUser,
            Database = Value(configuration, Database),
            Password = configuration[Password] is { Length: > 0 } password ? password : null,
        };

        if (Value(configuration, Port) is { } port)
        {
            draft.Ports = [EndpointDraft.ParsePort(port, Port, "value")];
        }

        if (Value(configuration, SslMode) is { } sslMode)
        {
            draft.SslMode = SslModes.Parse(sslMode, SslMode, SslMode);
        }

        return draft.Build();
    }

    /// <summary>A non-secret value, trimmed; empty counts as unset (an empty secret is a common deployment slip).</summary>
    private static string? Value(IConfiguration configuration, string name) =>
        configuration[name]?.Trim() is { Length: > 0 } value ? value : null;
}
