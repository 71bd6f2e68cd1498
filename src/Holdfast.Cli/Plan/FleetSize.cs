using Holdfast.Capacity;
using Holdfast.Cli.Common;

namespace Holdfast.Cli.Plan;

/// <summary>
/// The fleet as users describe it — a fixed count, or autoscaling's minimum and maximum, and a rollout surge as Kubernetes
/// writes <c>maxSurge</c> (a count, or a share rounded up) — turned into what the plan counts: the instances at the
/// maximum, and the extra ones a rollout runs beside them.
/// </summary>
internal sealed record FleetSize(int Instances, int RolloutOverlap, int? MinInstances, string? Surge, string? Description)
{
    public static FleetSize From(int? instances, int? minInstances, int? maxInstances, string? surge, int? overlap)
    {
        if (instances is not null && maxInstances is not null && instances != maxInstances)
        {
            throw new CliUsageException("--instances and --max-instances differ: give the autoscaling maximum as --max-instances alone");
        }

        if (surge is not null && overlap is not null)
        {
            throw new CliUsageException("--max-surge and --rollout-overlap both say how many extra instances a rollout runs: give one");
        }

        var count = maxInstances ?? instances ?? 1;
        if (minInstances is { } min && min > count)
        {
            throw new CliUsageException($"--min-instances {min} is above the maximum of {count} instances");
        }

        var extra = surge is null ? overlap ?? 0 : SurgeCount(surge, count);
        var description = maxInstances is null && surge is null
            ? null
            : $"{(minInstances is { } low ? $"{low} to " : "")}{count} instances" +
              (surge is null ? "" : $", max surge {surge.Trim()} = {extra} more during a rollout");
        return new FleetSize(count, extra, minInstances, surge?.Trim(), description);
    }

    /// <summary>Kubernetes' maxSurge: an absolute count, or a percentage of the desired instances rounded up.</summary>
    private static int SurgeCount(string value, int instances)
    {
        try
        {
            return RolloutSurge.Count(value, instances);
        }
        catch (FormatException ex)
        {
            throw new CliUsageException($"--max-surge {ex.Message}");
        }
    }
}
