using System.Globalization;
using Holdfast.Timeouts;
using Spectre.Console;

namespace Holdfast.Cli.Doctor;

/// <summary>
/// While the doctor runs on a terminal, one live line says which stage it is in and for how long against its limit, so a
/// 60 s production budget at a blackholed address is not a silent minute. Nothing is drawn when output is redirected or
/// with <c>--json</c>: the caller then just awaits the run.
/// </summary>
internal static class DoctorLiveLine
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(200);

    public static async Task<DoctorReport> RunAsync(IAnsiConsole console, DoctorRunner runner, TimeProvider time, CancellationToken cancellationToken)
    {
        var run = runner.RunAsync(cancellationToken);
        if (!console.Profile.Capabilities.Interactive)
        {
            return await run;
        }

        await console.Status().Spinner(Spinner.Known.Dots).StartAsync("starting", async context =>
        {
            while (!run.IsCompleted)
            {
                if (runner.Running is { } stage)
                {
                    context.Status(Markup.Escape(Text(stage, time.GetElapsedTime(stage.StartedAt))));
                }

                await Task.WhenAny(run, Task.Delay(Refresh, time, CancellationToken.None));
            }
        });
        return await run;
    }

    /// <summary>"tls: 12.4 s of 60 s": the stage, its time so far and its limit.</summary>
    public static string Text(StageProgress stage, TimeSpan elapsed) =>
        string.Create(CultureInfo.InvariantCulture, $"{stage.Name}: {elapsed.TotalSeconds:0.0} s of {DurationText.Format(stage.Limit)}");
}
