namespace Holdfast.Configuration;

/// <summary>
/// How an error shows a value it refuses: plain words are quoted (so the user sees the typo); anything that could be a
/// password, or part of one cut off by an unencoded special character, is not shown.
/// </summary>
internal static class SafeEcho
{
    public const string Hidden = "(not shown: it may hold a password)";

    public static string Of(string value) =>
        value.Length is > 0 and <= 40 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ' ')
            ? $"'{value}'"
            : value.Length == 0 ? "''" : Hidden;
}
