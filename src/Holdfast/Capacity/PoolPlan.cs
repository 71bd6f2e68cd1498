namespace Holdfast.Capacity;

/// <summary>The per-instance pool size for a capacity, with the arithmetic, or why no plan fits.</summary>
/// <param name="Inputs">What the plan started from.</param>
/// <param name="Fits">True when a pool of at least one connection fits every instance.</param>
/// <param name="PoolSize">The recommended Max Pool Size per instance (0 when nothing fits).</param>
/// <param name="Usable">max_connections − reserved − other clients.</param>
/// <param name="Budget">The usable slots pools may take: floor(usable × margin).</param>
/// <param name="InstancesAtOnce">Instances at once, the rollout overlap included.</param>
/// <param name="PerInstance">floor(budget / instances at once): pool + overflow per instance.</param>
/// <param name="Total">The connections all instances may hold with this plan: instances at once × (pool + overflow).</param>
/// <param name="Steps">The arithmetic, one line per step.</param>
/// <param name="Verdict">One line: the pool size, or why nothing fits and what to change.</param>
internal sealed record PoolPlan(
    CapacityInputs Inputs,
    bool Fits,
    int PoolSize,
    int Usable,
    int Budget,
    int InstancesAtOnce,
    int PerInstance,
    int Total,
    IReadOnlyList<string> Steps,
    string Verdict);
