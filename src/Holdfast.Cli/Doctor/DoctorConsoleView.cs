using Holdfast.Timeouts;
using Spectre.Console;

namespace Holdfast.Cli.Doctor;

/// <summary>The doctor's report for people: configuration, a table of stages, timed connects and the verdict.</summary>
internal static class DoctorConsoleView
{
    public static void Write(IAnsiConsole console, DoctorReport report)
    {
        console.MarkupLine($"[bold]holdfast doctor[/] — environment {Markup.Escape(report.Environment)} (from {Markup.Escape(report.EnvironmentSource)})");
        if (report.Configuration is { } configuration)
        {
            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            grid.AddRow("source", Markup.Escape(configuration.Source));
            grid.AddRow("endpoint", Markup.Escape(configuration.Display));
            grid.AddRow("timeouts", Markup.Escape(string.Join(", ", report.Timeouts.Select(t => $"{Name(t.Kind)} {t.Seconds:0.###} s"))) +
                                    $" (per stage {Markup.Escape(DurationText.Format(TimeSpan.FromMilliseconds(report.StageTimeoutMs)))})");
            console.Write(grid);
        }

        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("#").AddColumn("stage").AddColumn("status").AddColumn(new TableColumn("time").RightAligned()).AddColumn("detail");
        var number = 1;
        foreach (var stage in report.Stages)
        {
            table.AddRow(
                (number++).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(stage.Name),
                Status(stage.Status),
                stage.Status == StageStatus.Skipped ? "" : Markup.Escape(DurationText.Format(stage.Duration)),
                Markup.Escape(stage.Detail));
        }

        console.Write(table);
        WriteVerdict(console, report.Verdict);
    }

    private static void WriteVerdict(IAnsiConsole console, Verdict verdict)
    {
        foreach (var warning in verdict.Warnings)
        {
            console.MarkupLine($"[yellow]warning[/] {Markup.Escape(warning)}");
        }

        if (verdict.Healthy)
        {
            console.MarkupLine("[green bold]HEALTHY[/] the database answers at every stage (exit 0)");
            return;
        }

        var nature = verdict.Permanent == true ? "permanent" : verdict.Transient == true ? "transient" : "not retried";
        console.MarkupLine($"[red bold]FAILED[/] at [bold]{Markup.Escape(verdict.Stage ?? "?")}[/]: " +
                           $"[bold]{verdict.Kind}[/] ({nature}, exit {verdict.ExitCode})");
        console.WriteLine(verdict.Diagnosis ?? "");
    }

    private static string Status(StageStatus status) => status switch
    {
        StageStatus.Ok => "[green]ok[/]",
        StageStatus.Warning => "[yellow]warning[/]",
        StageStatus.Failed => "[red]FAILED[/]",
        _ => "[grey]skipped[/]",
    };

    private static string Name(TimeoutKind kind) => kind switch
    {
        TimeoutKind.TableSetup => "table setup",
        TimeoutKind.HealthCheck => "health check",
        TimeoutKind.Operation => "operation",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
