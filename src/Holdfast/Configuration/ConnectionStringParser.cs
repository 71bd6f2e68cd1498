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
        try
        {
            raw = new DbConnectionStringBuilder { ConnectionString = connectionString };
            typed = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            throw new HoldfastConfigurationException(setting,
                $"is not a valid connection string ({FirstSentence(ex.Message)})",
                "write it as Host=HOST;Port=5432;Database=DB;Username=USER;Password=PASSWORD, or as a URL postgres://user:password@host:5432/database");
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
            var canonical = Canonical(key, raw[key]?.ToString() ?? "");
            var value = raw[key]?.ToString() ?? "";
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

        ApplyHostPorts(draft);
        return draft.Build();
    }

    /// <summary>Npgsql's canonical keyword for an alias (Server -> Host, User Id -> Username).</summary>
    private static string Canonical(string key, string value)
    {
        var probe = new NpgsqlConnectionStringBuilder { [key] = value };
        var text = probe.ConnectionString;
        var equals = text.IndexOf('=');
        return equals > 0 ? text[..equals] : key;
    }

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

    private static void ApplyHostPorts(EndpointDraft draft)
    {
        if (draft.HostPorts.All(p => p is null))
        {
            return;
        }

        var fallback = draft.Ports.Count == 1 ? draft.Ports[0] : DatabaseHost.DefaultPort;
        draft.Ports = [.. draft.HostPorts.Select(p => p ?? fallback)];
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
