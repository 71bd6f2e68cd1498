using Holdfast.Faults;

namespace Holdfast.Startup;

/// <summary>
/// Start-up failed: the message names the phase, the kind, the timeout used, the time spent and the fix.
/// <see cref="ExitCode"/> is 4 for a permanent kind, 2 for configuration, 3 otherwise.
/// </summary>
public sealed class DeterministicStartupException : Exception
{
    /// <summary>Creates the exception from the report of a failed start-up.</summary>
    /// <param name="report">The report; its first failed phase is the cause.</param>
    internal DeterministicStartupException(StartupReport report)
        : base(Describe(report ?? throw new ArgumentNullException(nameof(report))))
    {
        Report = report;
        Phase = report.FirstFailure;
        ExitCode = Phase?.Failure?.ExitCode ?? ExitCodes.Unavailable;
    }

    /// <summary>The report.</summary>
    public StartupReport Report { get; }

    /// <summary>The phase that failed.</summary>
    public StartupPhaseReport? Phase { get; }

    /// <summary>The process exit code: 4 permanent, 2 configuration, 3 transient.</summary>
    public int ExitCode { get; }

    private static string Describe(StartupReport report)
    {
        var failed = report.FirstFailure;
        if (failed?.Failure is not { } failure)
        {
            return "Start-up failed.";
        }

        return $"Start-up failed in phase '{failed.Name}' ({report.Environment.ToString().ToLowerInvariant()}): {failure.Kind} after " +
               $"{failed.Duration.TotalSeconds:0.###} s of its {failed.Budget.TotalSeconds:0.###} s budget. {failure.Diagnosis} " +
               $"Bypass: {report.Bypass?.Rule ?? "not considered"}.";
    }
}
