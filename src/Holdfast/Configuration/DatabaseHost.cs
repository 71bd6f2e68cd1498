namespace Holdfast.Configuration;

/// <summary>One server address: a host name, an IP address, or a Unix socket directory, with its port.</summary>
/// <param name="Host">Host name, IP address (IPv6 without brackets) or, when it starts with '/', a Unix socket directory.</param>
/// <param name="Port">TCP port; for a Unix socket, the number in the socket file name <c>.s.PGSQL.PORT</c>.</param>
public sealed record DatabaseHost(string Host, int Port)
{
    /// <summary>The PostgreSQL default port.</summary>
    public const int DefaultPort = 5432;

    /// <summary>True when <see cref="Host"/> is a Unix socket directory.</summary>
    public bool IsUnixSocket => Host.StartsWith('/');

    /// <summary>True when the socket directory follows Cloud SQL's <c>/cloudsql/PROJECT:REGION:INSTANCE</c> layout.</summary>
    public bool IsCloudSqlSocket => Host.StartsWith(CloudSqlSocket.Prefix, StringComparison.Ordinal);

    /// <summary>The socket file for a Unix socket host, e.g. <c>/cloudsql/p:r:i/.s.PGSQL.5432</c>; null for TCP.</summary>
    public string? SocketPath => IsUnixSocket ? $"{Host.TrimEnd('/')}/.s.PGSQL.{Port}" : null;

    /// <summary>The form Npgsql's <c>Host</c> keyword takes for this entry.</summary>
    internal string ToNpgsqlHost(bool withPort) =>
        (Host.Contains(':') && !IsUnixSocket ? $"[{Host}]" : Host) + (withPort ? $":{Port}" : "");

    /// <inheritdoc />
    public override string ToString() => IsUnixSocket
        ? SocketPath!
        : Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
