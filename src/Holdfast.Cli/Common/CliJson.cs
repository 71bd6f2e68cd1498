using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Holdfast.Cli.Common;

/// <summary>The JSON form of every command's output: camelCase names, enums as camelCase strings, indented.</summary>
internal static class CliJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>Milliseconds rounded to 0.01 ms, the unit every duration has in JSON output.</summary>
    public static double Milliseconds(TimeSpan value) => Math.Round(value.TotalMilliseconds, 2);
}
