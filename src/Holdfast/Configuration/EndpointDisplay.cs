using System.Text;

namespace Holdfast.Configuration;

/// <summary>The redacted display form of an endpoint: a URL whose password is always <c>***</c>.</summary>
internal static class EndpointDisplay
{
    public const string Mask = "***";

    public static string Format(DatabaseEndpoint endpoint)
    {
        var text = new StringBuilder("postgres://");
        text.Append(PercentEncoding.Encode(endpoint.Username));
        if (endpoint.HasPassword)
        {
            text.Append(':').Append(Mask);
        }

        text.Append('@');
        var query = new List<string>();
        if (endpoint.SocketDirectory is { } socket)
        {
            query.Add("host=" + socket);
            if (endpoint.Port != DatabaseHost.DefaultPort)
            {
                query.Add($"port={endpoint.Port}");
            }
        }
        else
        {
            text.Append(string.Join(',', endpoint.Hosts.Select(h => h.ToString())));
        }

        text.Append('/').Append(PercentEncoding.Encode(endpoint.Database));
        query.Add("sslmode=" + SslModes.ToLibpqName(endpoint.SslMode));
        // Certificate paths are not secrets: the display form keeps them, in libpq's names.
        AddPath(query, "sslrootcert", endpoint.RootCertificate);
        AddPath(query, "sslcert", endpoint.ClientCertificate);
        AddPath(query, "sslkey", endpoint.ClientKey);
        if (endpoint.ApplicationName is { } applicationName)
        {
            query.Add("application_name=" + PercentEncoding.Encode(applicationName));
        }

        // As written: an explicit target_session_attrs=any stays, so the display says what the source said.
        if (endpoint.TargetSessionAttributes != "any" || endpoint.NpgsqlSettings.Keys.Any(k => k.Replace(" ", "", StringComparison.Ordinal).Equals("TargetSessionAttributes", StringComparison.OrdinalIgnoreCase)))
        {
            query.Add("target_session_attrs=" + endpoint.TargetSessionAttributes);
        }

        if (endpoint.ConnectTimeout is { } timeout)
        {
            query.Add($"connect_timeout={timeout.TotalSeconds:0}");
        }

        return text.Append('?').Append(string.Join('&', query)).ToString();
    }

    private static void AddPath(List<string> query, string key, string? path)
    {
        if (path is not null)
        {
            query.Add(key + "=" + PercentEncoding.Encode(path).Replace("%2F", "/", StringComparison.Ordinal));
        }
    }
}
