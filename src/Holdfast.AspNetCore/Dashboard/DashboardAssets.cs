using System.Globalization;
using System.Net;
using System.Reflection;

namespace Holdfast.AspNetCore.Dashboard;

/// <summary>
/// The page, its script and its style sheet, embedded in the assembly: nothing comes from a CDN, and the page works
/// offline. The script and style are separate files so the Content-Security-Policy needs no <c>'unsafe-inline'</c>.
/// </summary>
internal static class DashboardAssets
{
    /// <summary>Same origin only: no inline code, no other host, no frames, no forms, no plugins.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static string Script { get; } = Read("dashboard.js");

    public static string Style { get; } = Read("dashboard.css");

    public static string Icon { get; } = Read("favicon.svg");

    private static string Page { get; } = Read("dashboard.html");

    /// <summary>The page for a dashboard mapped at <paramref name="basePath"/>, polling every <paramref name="refresh"/>.</summary>
    public static string PageFor(string basePath, TimeSpan refresh)
    {
        var root = WebUtility.HtmlEncode(basePath.TrimEnd('/'));
        return Page
            .Replace("{{HEAD}}", $"<link rel=\"icon\" href=\"{root}/favicon.svg\" type=\"image/svg+xml\">\n<link rel=\"stylesheet\" href=\"{root}/dashboard.css\">\n<script src=\"{root}/dashboard.js\" defer></script>", StringComparison.Ordinal)
            .Replace("{{BODY}}", string.Create(CultureInfo.InvariantCulture,
                $"data-api=\"{root}/api/state\" data-refresh-ms=\"{(int)refresh.TotalMilliseconds}\""), StringComparison.Ordinal)
            .Replace("{{DATA}}", "", StringComparison.Ordinal);
    }

    private static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Holdfast.Dashboard.{name}")
            ?? throw new InvalidOperationException($"The dashboard's {name} is not embedded in {Assembly.GetExecutingAssembly().GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
