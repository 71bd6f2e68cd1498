using System.Globalization;
using System.Text;
using Holdfast.Cli.Common;
using Holdfast.Telemetry;

namespace Holdfast.Cli.Monitor;

/// <summary>Writes a run's samples as CSV, its report as JSON and its chart as SVG.</summary>
internal static class MonitorFiles
{
    public const string CsvHeader = "at,connect_ms,query_ms,outcome,failure_kind,attempts,breaker";

    public static string Csv(IReadOnlyList<MonitorSample> samples)
    {
        var csv = new StringBuilder(CsvHeader).Append('\n');
        foreach (var s in samples)
        {
            csv.Append(CultureInfo.InvariantCulture,
                $"{s.At:O},{s.ConnectMs:0.##},{s.QueryMs:0.##},{s.Outcome.ToString().ToLowerInvariant()},{(s.FailureKind is { } kind ? HoldfastInstruments.KindTag(kind) : "")},{s.Attempts},{s.Breaker.ToString().ToLowerInvariant()}\n");
        }

        return csv.ToString();
    }

    /// <summary>
    /// Checks before the run that each output can be written (a long run must not lose its report at the end): the
    /// directory is created and the file opened for writing; a file that did not exist is removed again.
    /// </summary>
    /// <exception cref="Holdfast.HoldfastConfigurationException">An output cannot be written.</exception>
    public static void CheckWritable(string? path, string option)
    {
        if (path is null)
        {
            return;
        }

        try
        {
            var full = Path.GetFullPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            var existed = File.Exists(full);
            using (new FileStream(full, FileMode.OpenOrCreate, FileAccess.Write))
            {
            }

            if (!existed)
            {
                File.Delete(full);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new Holdfast.HoldfastConfigurationException(option, $"'{path}' cannot be written ({ex.GetType().Name}: {ex.Message})",
                "give a file in a directory you can write to");
        }
    }

    public static async Task WriteAsync(string? path, string content)
    {
        if (path is null)
        {
            return;
        }

        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        await File.WriteAllTextAsync(full, content);
    }

    public static string Json(MonitorReport report) => CliJson.Serialize(report);
}
