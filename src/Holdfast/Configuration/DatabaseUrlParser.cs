namespace Holdfast.Configuration;

/// <summary>
/// Parses PostgreSQL URLs the way libpq reads them, plus the SQLAlchemy spellings:
/// <c>postgres://</c>, <c>postgresql://</c>, <c>postgresql+asyncpg://</c>, <c>postgresql+psycopg2://</c>.
/// Errors name the URL part at fault and never echo the user information.
/// </summary>
internal static class DatabaseUrlParser
{
    private static readonly string[] SupportedKeys =
    [
        "host", "port", "dbname", "user", "password", "sslmode", "ssl", "application_name", "connect_timeout",
        "target_session_attrs", "sslrootcert", "sslcert", "sslkey", "options", "gssencmode",
    ];

    private static readonly Dictionary<string, string> NpgsqlKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        ["target_session_attrs"] = "Target Session Attributes",
        ["sslrootcert"] = "Root Certificate",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
        ["options"] = "Options",
        ["gssencmode"] = "GSS Encryption Mode",
    };

    /// <summary>True when <paramref name="value"/> looks like a URL (has a scheme) rather than a key-value string.</summary>
    public static bool LooksLikeUrl(string value)
    {
        var separator = value.IndexOf("://", StringComparison.Ordinal);
        return separator > 0 && value[..separator].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.');
    }

    /// <summary>The SQLAlchemy drivers of the <c>postgresql+DRIVER://</c> scheme.</summary>
    private static readonly string[] SqlAlchemyDrivers = ["asyncpg", "psycopg", "psycopg2", "psycopg2cffi", "psycopg_async", "pg8000"];

    private static readonly string[] TargetSessionAttributes = ["any", "read-write", "read-only", "primary", "standby", "prefer-standby", "prefer-primary"];

    private static readonly string[] GssEncryptionModes = ["disable", "prefer", "require"];

    /// <summary>
    /// Parses a URL. The user information ends at the last '@' before the path (a raw '@' in a password works; one in the
    /// database name does not move the host). Query keys follow libpq: values are trimmed, a key needs '=', a '%00' is
    /// refused; the host list takes a port per host, an empty port meaning the default. The SQLAlchemy schemes
    /// (<c>postgresql+DRIVER://</c>) also take their own forms: <c>?host=h:port</c>, comma lists, repeated <c>host=</c>, and
    /// '+' as a space in query values.
    /// </summary>
    public static DatabaseEndpoint Parse(string url, EndpointSource source, string setting)
    {
        url = url.Trim();
        var separator = url.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0)
        {
            throw new HoldfastConfigurationException(setting, "is not a URL (no scheme:// found)",
                "use postgres://user:password@host:5432/database");
        }

        var sqlAlchemy = CheckScheme(url[..separator], setting);
        var rest = url[(separator + 3)..];

        if (rest.Contains('#'))
        {
            throw new HoldfastConfigurationException(setting, "contains '#', which ends a URL",
                "percent-encode '#' as %23 (a '#' inside a password must be written %23)");
        }

        var queryStart = rest.IndexOf('?');
        var beforeQuery = queryStart < 0 ? rest : rest[..queryStart];
        var query = queryStart < 0 ? "" : rest[(queryStart + 1)..];

        // The authority ends at the first '/' after the user information: the last '@' before the path separates the
        // user information, so a raw '@' in the password still works and one in the path never moves the host.
        var at = AuthorityAt(beforeQuery);
        if (at < 0 && UserInfoAfterQuestionMark(query))
        {
            throw new HoldfastConfigurationException(setting, "has an '@' after the '?'",
                "percent-encode '?' as %3F if the password contains one; user information goes before the host: postgres://user:password@host/database");
        }

        var draft = new EndpointDraft(source, setting);
        if (at >= 0)
        {
            ReadUserInfo(beforeQuery[..at], draft);
        }

        var hostAndPath = beforeQuery[(at + 1)..];
        var slash = hostAndPath.IndexOf('/');
        var hostList = slash < 0 ? hostAndPath : hostAndPath[..slash];
        if (slash >= 0)
        {
            draft.Database = PercentEncoding.Decode(hostAndPath[(slash + 1)..], setting, "database name");
        }

        ReadHostList(hostList, draft, inQuery: false);
        ReadQuery(query, draft, sqlAlchemy);
        draft.ApplyHostPorts();
        return draft.Build();
    }

    /// <summary>
    /// The index of the '@' ending the user information: the last one in the authority, which ends at the first '/'
    /// (RFC 3986). An '@' in the database name is the path's; a raw '/' in a password must be written %2F.
    /// </summary>
    private static int AuthorityAt(string beforeQuery)
    {
        var slash = beforeQuery.IndexOf('/');
        return (slash < 0 ? beforeQuery : beforeQuery[..slash]).LastIndexOf('@');
    }

    /// <summary>An '@' in a query part with no '=' before it: a raw '?' in the password cut the URL short.</summary>
    private static bool UserInfoAfterQuestionMark(string query)
    {
        var at = query.IndexOf('@');
        if (at < 0)
        {
            return false;
        }

        var segmentStart = query.LastIndexOf('&', at) + 1;
        return query.IndexOf('=', segmentStart, at - segmentStart) < 0;
    }

    /// <summary>Checks the scheme; true for SQLAlchemy's <c>postgresql+DRIVER</c>.</summary>
    private static bool CheckScheme(string scheme, string setting)
    {
        var plus = scheme.IndexOf('+');
        var dialect = (plus < 0 ? scheme : scheme[..plus]).ToLowerInvariant();
        if (dialect is not ("postgres" or "postgresql"))
        {
            throw new HoldfastConfigurationException(setting, $"the scheme {SafeEcho.Of(scheme)} is not PostgreSQL",
                "start the URL with postgres://, postgresql:// or a SQLAlchemy form such as postgresql+asyncpg://");
        }

        if (plus < 0)
        {
            return false;
        }

        var driver = scheme[(plus + 1)..].ToLowerInvariant();
        if (!SqlAlchemyDrivers.Contains(driver))
        {
            throw new HoldfastConfigurationException(setting, $"the driver {SafeEcho.Of(scheme[(plus + 1)..])} of the scheme is not a SQLAlchemy PostgreSQL driver",
                $"use postgresql:// or one of postgresql+{string.Join(", postgresql+", SqlAlchemyDrivers)}");
        }

        return true;
    }

    private static void ReadUserInfo(string userInfo, EndpointDraft draft)
    {
        var colon = userInfo.IndexOf(':');
        var user = colon < 0 ? userInfo : userInfo[..colon];
        draft.Username = PercentEncoding.Decode(user, draft.Setting, "user name");
        if (colon >= 0)
        {
            draft.Password = PercentEncoding.Decode(userInfo[(colon + 1)..], draft.Setting, "password");
        }
    }

    /// <summary>A comma list of <c>host</c>, <c>host:port</c>, <c>[IPv6]:port</c> or a socket directory; an empty port is the default.</summary>
    private static void ReadHostList(string hostList, EndpointDraft draft, bool inQuery)
    {
        if (hostList.Length == 0)
        {
            return;
        }

        foreach (var entry in hostList.Split(','))
        {
            var (host, port) = SplitHostPort(entry.Trim(), draft.Setting, inQuery);
            draft.Hosts.Add(PercentEncoding.Decode(host, draft.Setting, inQuery ? "query host" : "host"));
            draft.HostPorts.Add(string.IsNullOrEmpty(port) ? null : EndpointDraft.ParsePort(port, draft.Setting, "port"));
        }
    }

    private static (string Host, string? Port) SplitHostPort(string entry, string setting, bool inQuery)
    {
        if (entry.StartsWith('/'))
        {
            // A socket directory written raw (in host=): Cloud SQL's contain ':' (/cloudsql/PROJECT:REGION:INSTANCE).
            return (entry, null);
        }

        if (entry.StartsWith("%2F", StringComparison.OrdinalIgnoreCase))
        {
            // An encoded socket directory in the authority: its own ':' are encoded, a raw one starts the port.
            var portColon = entry.LastIndexOf(':');
            return portColon < 0 ? (entry, null) : (entry[..portColon], entry[(portColon + 1)..]);
        }

        if (inQuery && !entry.StartsWith('[') && entry.Count(c => c == ':') > 1 && System.Net.IPAddress.TryParse(PercentEncoding.Decode(entry, setting, "host"), out _))
        {
            // A bare IPv6 address (libpq takes ?host=::1): no port can follow it.
            return (entry, null);
        }

        if (entry.StartsWith('['))
        {
            var close = entry.IndexOf(']');
            if (close < 0)
            {
                throw new HoldfastConfigurationException(setting, "an IPv6 address has '[' but no ']'",
                    "write IPv6 hosts as [address]:port, e.g. [::1]:5432");
            }

            var after = entry[(close + 1)..];
            if (after.Length > 0 && !after.StartsWith(':'))
            {
                throw new HoldfastConfigurationException(setting, "unexpected text after an IPv6 address",
                    "write IPv6 hosts as [address]:port, e.g. [::1]:5432");
            }

            return (entry[1..close], after.Length > 0 ? after[1..] : null);
        }

        var colons = entry.Count(c => c == ':');
        if (colons > 1)
        {
            throw new HoldfastConfigurationException(setting, "an IPv6 address is not in brackets",
                "write IPv6 hosts as [address]:port, e.g. postgres://user@[::1]:5432/database");
        }

        var colon = entry.IndexOf(':');
        return colon < 0 ? (entry, null) : (entry[..colon], entry[(colon + 1)..]);
    }

    private static void ReadQuery(string query, EndpointDraft draft, bool sqlAlchemy)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var queryHosts = false;
        var passwordSeen = false;
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            if (equals < 0)
            {
                // After password= a part with no '=' may be the password's tail, cut by an unencoded '&'.
                throw new HoldfastConfigurationException(draft.Setting, $"the query part '{(passwordSeen ? SafeEcho.Hidden : SafeKey(pair))}' has no '='",
                    "write every query parameter as key=value, e.g. ?sslmode=require; an '&' inside a password must be written %26");
            }

            // SQLAlchemy's schemes read '+' in the query as a space, as its URL parser does; libpq's keep it.
            var plain = sqlAlchemy ? pair.Replace('+', ' ') : pair;
            var key = PercentEncoding.Decode(plain[..equals], draft.Setting, "query key").Trim();
            var shownKey = passwordSeen ? SafeEcho.Hidden : SafeKey(key);
            var rawValue = plain[(equals + 1)..].Trim();
            var value = key.Equals("host", StringComparison.OrdinalIgnoreCase)
                ? rawValue
                : PercentEncoding.Decode(rawValue, draft.Setting, $"value of '{shownKey}'").Trim();
            if (!SupportedKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                throw new HoldfastConfigurationException(draft.Setting, $"the query key '{shownKey}' is not supported",
                    $"remove it, or use one of: {string.Join(", ", SupportedKeys)}");
            }

            var lower = key.ToLowerInvariant();
            if (lower == "host")
            {
                // Several host= (SQLAlchemy's multi-host form) add up; the first replaces the hosts before the path.
                if (!queryHosts)
                {
                    // libpq: the authority's ports stay (host= replaces only the hosts), so ?host=/socket/dir keeps :5433.
                    if (draft.HostPorts.Any(p => p is not null) && draft.Ports.Count == 0)
                    {
                        draft.Ports = [.. draft.HostPorts.Select(p => p ?? DatabaseHost.DefaultPort)];
                    }

                    draft.Hosts.Clear();
                    draft.HostPorts.Clear();
                    draft.HostsFromQuery = true;
                    queryHosts = true;
                }

                ReadHostList(value, draft, inQuery: true);
                continue;
            }

            if (!seen.Add(lower) || (lower is "ssl" or "sslmode" && seen.Contains(lower == "ssl" ? "sslmode" : "ssl")))
            {
                throw new HoldfastConfigurationException(draft.Setting, $"the query key '{shownKey}' is given twice",
                    "keep one of them");
            }

            ApplyQueryKey(lower, value, draft);
            passwordSeen |= lower == "password";
        }
    }

    /// <summary>A query key as echoed in an error: short, and never a value that might be a secret.</summary>
    private static string SafeKey(string key) =>
        key.Length is > 0 and <= 40 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? key : SafeEcho.Hidden;

    private static void ApplyQueryKey(string key, string value, EndpointDraft draft)
    {
        switch (key)
        {
            case "port":
                // As in libpq, port= replaces the ports written with the hosts before the path (not those of host= entries,
                // asyncpg's form); an empty entry is the default port.
                draft.Ports = [.. value.Split(',').Select(p => p.Trim().Length == 0 ? DatabaseHost.DefaultPort : EndpointDraft.ParsePort(p, draft.Setting, "port"))];
                if (!draft.HostsFromQuery)
                {
                    draft.HostPorts.Clear();
                }

                break;
            case "dbname":
                draft.Database = value;
                break;
            case "user":
                draft.Username = value;
                break;
            case "password":
                draft.Password = value;
                break;
            case "sslmode" or "ssl":
                draft.SslMode = SslModes.Parse(value, draft.Setting, key);
                break;
            case "application_name":
                draft.ApplicationName = value;
                break;
            case "connect_timeout":
                draft.ConnectTimeout = EndpointDraft.ParseConnectTimeout(value, draft.Setting, key);
                break;
            case "target_session_attrs":
                draft.NpgsqlSettings[NpgsqlKeywords[key]] = OneOf(value, TargetSessionAttributes, key, draft.Setting);
                break;
            case "gssencmode":
                draft.NpgsqlSettings[NpgsqlKeywords[key]] = OneOf(value, GssEncryptionModes, key, draft.Setting);
                break;
            default:
                draft.NpgsqlSettings[NpgsqlKeywords[key]] = value;
                break;
        }
    }

    private static string OneOf(string value, string[] allowed, string key, string setting) =>
        allowed.Contains(value.ToLowerInvariant())
            ? value.ToLowerInvariant()
            : throw new HoldfastConfigurationException(setting, $"{key}={SafeEcho.Of(value)} is not a value it takes",
                $"use one of: {string.Join(", ", allowed)}");
}
