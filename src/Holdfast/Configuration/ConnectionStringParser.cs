using System.Data.Common;
using Npgsql;

namespace Holdfast.Configuration;

/// <summary>Reads an Npgsql key-value connection string (<c>Host=...;Username=...</c>) into an endpoint.</summary>
internal static class ConnectionStringParser
{
    private static readonly HashSet<string> MainKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Port", "Database", "Username", "Password", "SSL Mode", "Application Name", "Timeout",
    };

    public static DatabaseEndpoint Parse(string connectionString, EndpointSource source, string setting)
    {
        DbConnectionStringBuilder raw;
        NpgsqlConnectionStringBuilder typed;
        string? unknown;
        try
        {
            raw = new DbConnectionStringBuilder { ConnectionString = connectionString };
            unknown = raw.Keys.Cast<string>().FirstOrDefault(k => !new NpgsqlConnectionStringBuilder().ContainsKey(k));
            typed = unknown is null ? new NpgsqlConnectionStringBuilder(connectionString) : null!;
        }
        catch (KeyNotFoundException) when (NaiveKeys(connectionString).FirstOrDefault(k => !new NpgsqlConnectionStringBuilder().ContainsKey(k)) is { } empty)
        {
            // 'Keyword=' with nothing after it: the parser drops it, Npgsql then fails on it without saying which.
            throw UnknownKeyword(empty, setting);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or KeyNotFoundException)
        {
            throw new HoldfastConfigurationException(setting,
                $"is not a valid connection string ({FirstSentence(ex.Message)})",
                "write it as Host=HOST;Port=5432;Database=DB;Username=USER;Password=PASSWORD, or as a URL postgres://user:password@host:5432/database");
        }

        if (unknown is not null)
        {
            throw UnknownKeyword(AfterPassword(connectionString, unknown) ? SafeEcho.Hidden : unknown, setting);
        }

        var draft = new EndpointDraft(source, setting)
        {
            Database = typed.Database,
            Username = typed.Username,
            Password = typed.Password,
            ApplicationName = typed.ApplicationName,
        };

        foreach (string key in raw.Keys)
        {
            var value = raw[key]?.ToString() ?? "";
            if (value.Length == 0)
            {
                // 'Keyword=' leaves it unset, as Npgsql reads it; only its spelling is checked.
                if (!new NpgsqlConnectionStringBuilder().ContainsKey(key))
                {
                    throw UnknownKeyword(key, setting);
                }

                continue;
            }

            var canonical = Canonical(key, value, setting);
            switch (canonical)
            {
                case "Host":
                    ReadHosts(value, draft);
                    break;
                case "Port":
                    draft.Ports = [typed.Port];
                    break;
                case "SSL Mode":
                    draft.SslMode = typed.SslMode;
                    break;
                case "Timeout":
                    draft.ConnectTimeout = typed.Timeout > 0 ? TimeSpan.FromSeconds(typed.Timeout) : null;
                    break;
                default:
                    if (!MainKeywords.Contains(canonical))
                    {
                        draft.NpgsqlSettings[canonical] = value;
                    }

                    break;
            }
        }

        draft.ApplyHostPorts();
        return draft.Build();
    }

    /// <summary>Npgsql's canonical keyword for an alias (Server -> Host, User Id -> Username).</summary>
    private static string Canonical(string key, string value, string setting)
    {
        try
        {
            var probe = new NpgsqlConnectionStringBuilder { [key] = value };
            var text = probe.ConnectionString;
            var equals = text.IndexOf('=');
            return equals > 0 ? text[..equals] : key;
        }
        catch (Exception ex) when (ex is ArgumentException or KeyNotFoundException or FormatException or InvalidCastException)
        {
            throw UnknownKeyword(key, setting);
        }
    }

    /// <summary>The keywords of a connection string by a plain split, for error messages only.</summary>
    private static IEnumerable<string> NaiveKeys(string connectionString) =>
        connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Split('=', 2)[0].Trim())
            .Where(key => key.Length > 0);

    /// <summary>True when <paramref name="keyword"/> comes after the password: it may be the password's tail, cut at an unquoted ';'.</summary>
    private static bool AfterPassword(string connectionString, string keyword)
    {
        var keys = NaiveKeys(connectionString).ToList();
        var password = keys.FindIndex(k => k.Equals("Password", StringComparison.OrdinalIgnoreCase) || k.Equals("PWD", StringComparison.OrdinalIgnoreCase));
        var at = keys.FindIndex(k => k.Equals(keyword, StringComparison.OrdinalIgnoreCase));
        return password >= 0 && at == password + 1;
    }

    private static HoldfastConfigurationException UnknownKeyword(string key, string setting) => new(setting,
        $"the keyword {(key == SafeEcho.Hidden ? key : SafeEcho.Of(key))} is not one Npgsql knows",
        "remove it or correct its spelling (Npgsql's keywords: Host, Port, Database, Username, Password, SSL Mode, Timeout, ...)");

    private static void ReadHosts(string value, EndpointDraft draft)
    {
        foreach (var entry in value.Split(','))
        {
            var trimmed = entry.Trim();
            var (host, port) = SplitHostPort(trimmed);
            draft.Hosts.Add(host);
            draft.HostPorts.Add(port is null ? null : EndpointDraft.ParsePort(port, draft.Setting, "port"));
        }
    }

    /// <summary>Npgsql's <c>host:port</c> in a Host list; socket paths and bare IPv6 addresses keep their colons.</summary>
    private static (string Host, string? Port) SplitHostPort(string entry)
    {
        if (entry.StartsWith('/'))
        {
            return (entry, null);
        }

        if (entry.StartsWith('['))
        {
            var close = entry.IndexOf(']');
            if (close > 0)
            {
                var after = entry[(close + 1)..];
                return (entry[1..close], after.StartsWith(':') ? after[1..] : null);
            }
        }

        var colon = entry.LastIndexOf(':');
        return colon > 0 && entry.IndexOf(':') == colon ? (entry[..colon], entry[(colon + 1)..]) : (entry, null);
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return (end < 0 ? message : message[..end]).TrimEnd('.');
    }
}
