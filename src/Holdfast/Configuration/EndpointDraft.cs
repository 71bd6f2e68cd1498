using System.Globalization;
using System.Net;
using Npgsql;

namespace Holdfast.Configuration;

/// <summary>
/// The parts of an endpoint as a source gives them, before defaults and checks. Every source
/// (URL, key-value connection string, POSTGRES_* variables) fills one, and <see cref="Build"/>
/// applies the same rules to all of them.
/// </summary>
internal sealed class EndpointDraft(EndpointSource source, string setting)
{
    public EndpointSource Source { get; } = source;

    public string Setting { get; } = setting;

    public List<string> Hosts { get; set; } = [];

    public List<int> Ports { get; set; } = [];

    /// <summary>True when the hosts came from a <c>host=</c> query parameter.</summary>
    public bool HostsFromQuery { get; set; }

    /// <summary>Ports written next to each host (<c>host:port</c>) in a host list; null where absent.</summary>
    public List<int?> HostPorts { get; } = [];

    /// <summary>
    /// Ports written next to hosts win; a host without one gets the single port given on its own (<c>port=</c>,
    /// <c>Port=</c>) or, as libpq does, the default. A port list given on its own still needs one port per host.
    /// </summary>
    public void ApplyHostPorts()
    {
        if (HostPorts.Count != Hosts.Count || HostPorts.All(p => p is null))
        {
            return;
        }

        if (Ports.Count > 1 && Ports.Count != Hosts.Count)
        {
            // A port list that does not match the hosts: Build says so, rather than defaults hiding it.
            return;
        }

        if (Ports.Count > 1 && Ports.Count == Hosts.Count)
        {
            Ports = [.. HostPorts.Select((p, i) => p ?? Ports[i])];
            return;
        }

        var fallback = Ports.Count == 1 ? Ports[0] : DatabaseHost.DefaultPort;
        Ports = [.. HostPorts.Select(p => p ?? fallback)];
    }

    public string? Database { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    public SslMode? SslMode { get; set; }

    public string? ApplicationName { get; set; }

    public TimeSpan? ConnectTimeout { get; set; }

    public Dictionary<string, string> NpgsqlSettings { get; } = new(StringComparer.OrdinalIgnoreCase);

    public List<string> Warnings { get; } = [];

    public static int ParsePort(string value, string setting, string what)
    {
        if (!int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            // Only digits are echoed: text where a port should be is often a password whose '@' went missing.
            var shown = value.Trim().All(char.IsAsciiDigit) && value.Trim().Length <= 5 ? $"'{value.Trim()}'" : "(not shown: it is not a short number)";
            throw new HoldfastConfigurationException(setting,
                $"the {what} {shown} is not a port number",
                "use a whole number from 1 to 65535 (PostgreSQL's default is 5432); a password with '@', '/', '?' or '#' must be percent-encoded");
        }

        return port;
    }

    /// <summary>Seconds as libpq's <c>connect_timeout</c> takes them; 0 means "not set"; a negative number is refused.</summary>
    public static TimeSpan? ParseConnectTimeout(string value, string setting, string key)
    {
        if (!int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
        {
            throw new HoldfastConfigurationException(setting,
                $"{key}={SafeEcho.Of(value)} is not a whole number of seconds (0 or more)",
                $"write {key} as seconds, e.g. {key}=30 (0: no timeout of its own)");
        }

        return seconds > 0 ? TimeSpan.FromSeconds(seconds) : null;
    }

    public DatabaseEndpoint Build()
    {
        if (Hosts.Count == 0 || Hosts.All(string.IsNullOrWhiteSpace))
        {
            throw new HoldfastConfigurationException(Setting, "no host is given",
                "name the server, e.g. postgres://user:password@HOST:5432/database, or a Unix socket directory such as ?host=/cloudsql/PROJECT:REGION:INSTANCE");
        }

        if (Hosts.Any(string.IsNullOrWhiteSpace))
        {
            throw new HoldfastConfigurationException(Setting, "the host list has an empty entry",
                "remove the stray comma, or write every host: host1:5432,host2:5432");
        }

        if (Ports.Count > 1 && Ports.Count != Hosts.Count)
        {
            throw new HoldfastConfigurationException(Setting,
                $"{Hosts.Count} hosts but {Ports.Count} ports are given",
                "give one port for all hosts, or one port per host in the same order");
        }

        var hosts = new List<DatabaseHost>(Hosts.Count);
        for (var i = 0; i < Hosts.Count; i++)
        {
            var port = Ports.Count == 0 ? DatabaseHost.DefaultPort : Ports[Ports.Count == 1 ? 0 : i];
            hosts.Add(new DatabaseHost(CheckHost(Hosts[i]), port));
        }

        if (hosts.Count > 1 && hosts.Any(h => h.IsUnixSocket))
        {
            throw new HoldfastConfigurationException(Setting, "a Unix socket directory is mixed into a list of hosts",
                "use either one socket directory or a list of TCP hosts");
        }

        if (string.IsNullOrWhiteSpace(Username))
        {
            throw new HoldfastConfigurationException(Setting, "no user is given",
                Source == EndpointSource.PostgresVariables
                    ? "set POSTGRES_USER"
                    : "add the user name, e.g. postgres://USER:password@host:5432/database or Username=USER");
        }

        if (Password is { Length: > 0 } && char.IsWhiteSpace(Password[^1]))
        {
            Warnings.Add("the password ends with white space (often a newline from a secret file); " +
                         "if authentication fails, store the secret without it (e.g. printf '%s' instead of echo)");
        }

        return new DatabaseEndpoint(this, hosts, string.IsNullOrEmpty(Database) ? Username : Database);
    }

    private string CheckHost(string host)
    {
        host = host.Trim();
        if (host.Contains("://", StringComparison.Ordinal) || host.Contains('@'))
        {
            // Never echoed: it may carry a password.
            throw new HoldfastConfigurationException(Setting, "holds a URL or user information, not a host",
                Source == EndpointSource.PostgresVariables
                    ? "put a whole URL in DATABASE_URL; POSTGRES_HOST takes only the host name, IP address or socket directory"
                    : "give only the host name, IP address or socket directory here");
        }

        if (host.StartsWith('/'))
        {
            if (CloudSqlSocket.Check(Setting, host) is { } problem)
            {
                throw new HoldfastConfigurationException(problem.Setting, problem.Problem, problem.Fix);
            }

            return host.Length > 1 ? host.TrimEnd('/') : host;
        }

        if (IPAddress.TryParse(host, out var address))
        {
            return address.ToString();
        }

        if (host.Contains(':'))
        {
            throw new HoldfastConfigurationException(Setting, $"the host {ShowHost(host)} contains ':'",
                "put the port in its own place (POSTGRES_PORT, or host:port in a URL), and write IPv6 addresses in brackets in a URL: [::1]:5432");
        }

        if (Uri.CheckHostName(host) is UriHostNameType.Unknown or UriHostNameType.Basic)
        {
            throw new HoldfastConfigurationException(Setting, $"{ShowHost(host)} is not a valid host name",
                "use a DNS name (db.internal), an IP address (10.0.0.5, ::1) or a socket directory starting with '/'");
        }

        return host;
    }

    /// <summary>
    /// A refused host as an error shows it: a POSTGRES_HOST value as written (one holding a URL was refused before); a
    /// host cut from a URL only as plain words, since a password with an unencoded '/' or '@' ends up there.
    /// </summary>
    private string ShowHost(string host) => Source == EndpointSource.PostgresVariables ? $"'{host}'" : SafeEcho.Of(host);
}
