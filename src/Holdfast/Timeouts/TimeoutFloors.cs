namespace Holdfast.Timeouts;

/// <summary>
/// Known-good minimums: a configuration below one is a validation error, so a later change cannot
/// silently lower a timeout that outages taught us to raise. Staging's floors (initialization 75 s,
/// connection 35 s, pool 45 s) also hold in production, whose path is never assumed faster than staging's.
/// Development and test have none.
/// </summary>
internal static class TimeoutFloors
{
    private static readonly Dictionary<TimeoutKind, TimeSpan> StagingFloors = new()
    {
        [TimeoutKind.Initialization] = TimeSpan.FromSeconds(75),
        [TimeoutKind.Connection] = TimeSpan.FromSeconds(35),
        [TimeoutKind.Pool] = TimeSpan.FromSeconds(45),
    };

    /// <summary>The floor of one timeout in an environment, or null when it has none.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="kind">Which timeout.</param>
    public static TimeSpan? For(HoldfastEnvironment environment, TimeoutKind kind) =>
        environment is HoldfastEnvironment.Staging or HoldfastEnvironment.Production && StagingFloors.TryGetValue(kind, out var floor)
            ? floor
            : null;
}
