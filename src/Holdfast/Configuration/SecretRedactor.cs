namespace Holdfast.Configuration;

/// <summary>
/// Removes an endpoint's password from free text (exception messages, server errors), in its raw
/// and percent-encoded forms: a second line of defence behind messages that never include it.
/// </summary>
internal static class SecretRedactor
{
    /// <summary>Returns <paramref name="text"/> with every occurrence of the endpoint's password replaced by <c>***</c>.</summary>
    /// <param name="text">Text that might contain the password.</param>
    /// <param name="endpoint">The endpoint whose password to remove; null leaves the text as is.</param>
    public static string Redact(string text, DatabaseEndpoint? endpoint) =>
        endpoint?.Password is { Length: > 0 } password ? Redact(text, password) : text;

    /// <summary>Returns <paramref name="text"/> with every occurrence of <paramref name="secret"/> replaced by <c>***</c>.</summary>
    /// <param name="text">Text that might contain the secret.</param>
    /// <param name="secret">The secret; empty leaves the text as is.</param>
    public static string Redact(string text, string secret)
    {
        if (string.IsNullOrEmpty(secret) || string.IsNullOrEmpty(text))
        {
            return text;
        }

        var redacted = text.Replace(secret, EndpointDisplay.Mask, StringComparison.Ordinal);
        var encoded = PercentEncoding.Encode(secret);
        return encoded == secret ? redacted : redacted.Replace(encoded, EndpointDisplay.Mask, StringComparison.OrdinalIgnoreCase);
    }
}
