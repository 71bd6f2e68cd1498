using Holdfast.Configuration;

namespace Holdfast;

/// <summary>One server address: a host name, an IP address, or a Unix socket directory, with its port.</summary>
public sealed record DatabaseHost
{
    /// <summary>Creates a <see cref="DatabaseHost"/>.</summary>
    /// <param name="host">Host name, IP address (IPv6 without brackets) or, when it starts with '/', a Unix socket directory.</param>
    /// <param name="port">TCP port; for a Unix socket, the number in the socket file name <c>.s.PGSQL.PORT</c>.</param>
    public DatabaseHost(string host, int port)
    {
        Host = host;
        Port = port;
    }

    /// <summary>Host name, IP address (IPv6 without brackets) or, when it starts with '/', a Unix socket directory.</summary>
    public string Host { get; init; }

    /// <summary>TCP port; for a Unix socket, the number in the socket file name <c>.s.PGSQL.PORT</c>.</summary>
    public int Port { get; init; }

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
