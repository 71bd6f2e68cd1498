using System.Text;

namespace Holdfast.Configuration;

/// <summary>Strict percent-decoding for URL parts (RFC 3986): every '%' must start a two-digit hex escape.</summary>
internal static class PercentEncoding
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes <paramref name="value"/>; <paramref name="part"/> names the URL part in the error, never its value.</summary>
    public static string Decode(string value, string setting, string part)
    {
        if (!value.Contains('%'))
        {
            return value;
        }

        var bytes = new List<byte>(value.Length);
        var i = 0;
        while (i < value.Length)
        {
            var escape = value.IndexOf('%', i);
            var literalEnd = escape < 0 ? value.Length : escape;
            bytes.AddRange(Encoding.UTF8.GetBytes(value[i..literalEnd]));
            if (escape < 0)
            {
                break;
            }

            if (escape + 2 >= value.Length || !char.IsAsciiHexDigit(value[escape + 1]) || !char.IsAsciiHexDigit(value[escape + 2]))
            {
                throw Invalid(setting, part);
            }

            var decoded = Convert.ToByte(value.Substring(escape + 1, 2), 16);
            if (decoded == 0)
            {
                throw new HoldfastConfigurationException(setting, $"the {part} contains %00 (a NUL character)",
                    "remove it: no PostgreSQL name, password or value can hold a NUL (libpq refuses it too)");
            }

            bytes.Add(decoded);
            i = escape + 3;
        }

        try
        {
            return StrictUtf8.GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            throw new HoldfastConfigurationException(setting,
                $"the {part} has percent-escapes that are not valid UTF-8",
                "percent-encode the UTF-8 bytes of each special character (e.g. 'é' as %C3%A9)");
        }
    }

    /// <summary>Encodes a value for display inside a URL part.</summary>
    public static string Encode(string value) => Uri.EscapeDataString(value);

    private static HoldfastConfigurationException Invalid(string setting, string part) => new(setting,
        $"the {part} has a '%' that is not followed by two hex digits",
        "percent-encode special characters: '%' as %25, '@' as %40, ':' as %3A, '/' as %2F, '?' as %3F, '#' as %23");
}
