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

    public static DatabaseEndpoint Parse(string url, EndpointSource source, string setting)
    {
        url = url.Trim();
        var separator = url.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0)
        {
            throw new HoldfastConfigurationException(setting, "is not a URL (no scheme:// found)",
                "use postgres://user:password@host:5432/database");
        }

        CheckScheme(url[..separator], setting);
        var rest = url[(separator + 3)..];

        if (rest.Contains('#'))
        {
            throw new HoldfastConfigurationException(setting, "contains '#', which ends a URL",
                "percent-encode '#' as %23 (a '#' inside a password must be written %23)");
        }

        var queryStart = rest.IndexOf('?');
        var beforeQuery = queryStart < 0 ? rest : rest[..queryStart];
        var query = queryStart < 0 ? "" : rest[(queryStart + 1)..];

        var at = beforeQuery.LastIndexOf('@');
        if (at < 0 && query.Contains('@'))
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

        ReadHostList(hostList, draft);
        ReadQuery(query, draft);
        return draft.Build();
    }

    private static void CheckScheme(string scheme, string setting)
    {
        var plus = scheme.IndexOf('+');
        var dialect = (plus < 0 ? scheme : scheme[..plus]).ToLowerInvariant();
        if (dialect is not ("postgres" or "postgresql") || plus == scheme.Length - 1)
        {
            throw new HoldfastConfigurationException(setting, $"the scheme '{scheme}' is not PostgreSQL",
                "start the URL with postgres://, postgresql:// or a SQLAlchemy form such as postgresql+asyncpg://");
        }
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

    private static void ReadHostList(string hostList, EndpointDraft draft)
    {
        if (hostList.Length == 0)
        {
            return;
        }

        foreach (var entry in hostList.Split(','))
        {
            var (host, port) = SplitHostPort(entry, draft.Setting);
            draft.Hosts.Add(PercentEncoding.Decode(host, draft.Setting, "host"));
            if (port is not null)
            {
                draft.Ports.Add(EndpointDraft.ParsePort(port, draft.Setting, "port"));
            }
        }

        if (draft.Ports.Count > 0 && draft.Ports.Count != draft.Hosts.Count)
        {
            throw new HoldfastConfigurationException(draft.Setting, "some hosts have a port and some do not",
                "give every host its port (host1:5432,host2:5433) or none");
        }
    }

    private static (string Host, string? Port) SplitHostPort(string entry, string setting)
    {
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

    private static void ReadQuery(string query, EndpointDraft draft)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var key = PercentEncoding.Decode(equals < 0 ? pair : pair[..equals], draft.Setting, "query key").Trim();
            var value = equals < 0 ? "" : PercentEncoding.Decode(pair[(equals + 1)..], draft.Setting, $"value of '{key}'");
            if (!SupportedKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                throw new HoldfastConfigurationException(draft.Setting, $"the query key '{key}' is not supported",
                    $"remove it, or use one of: {string.Join(", ", SupportedKeys)}");
            }

            if (!seen.Add(key) || (key is "ssl" or "sslmode" && seen.Contains(key == "ssl" ? "sslmode" : "ssl")))
            {
                throw new HoldfastConfigurationException(draft.Setting, $"the query key '{key}' is given twice",
                    "keep one of them");
            }

            ApplyQueryKey(key.ToLowerInvariant(), value, draft);
        }
    }

    private static void ApplyQueryKey(string key, string value, EndpointDraft draft)
    {
        switch (key)
        {
            case "host":
                draft.Hosts = [.. value.Split(',')];
                break;
            case "port":
                draft.Ports = [.. value.Split(',').Select(p => EndpointDraft.ParsePort(p, draft.Setting, "port"))];
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
            default:
                draft.NpgsqlSettings[NpgsqlKeywords[key]] = value;
                break;
        }
    }
}
