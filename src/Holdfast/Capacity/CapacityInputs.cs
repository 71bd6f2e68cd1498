namespace Holdfast.Capacity;

/// <summary>What a pool plan starts from.</summary>
/// <param name="MaxConnections">The server's <c>max_connections</c>.</param>
/// <param name="Instances">Service instances running at once in steady state.</param>
/// <param name="Reserved">Slots kept for superusers (<c>superuser_reserved_connections</c>, 3 by default).</param>
/// <param name="OtherClients">Connections other clients hold (jobs, admin tools, other services).</param>
/// <param name="SafetyMargin">The share of what is left that pools may take, 0 to 1 (0.8 by default).</param>
/// <param name="RolloutOverlap">Extra instances while a rolling deployment runs old and new side by side.</param>
/// <param name="Overflow">
/// Connections per instance beyond the main pool: Holdfast's health pool (1) by default. The admin pool is closed once
/// start-up is done (a starting instance's admin connection stands in for its pool, still idle then), and the recovery
/// probe connects only while the circuit is open and the pool cleared, so neither adds to an instance's peak.
/// </param>
internal sealed record CapacityInputs(
    int MaxConnections,
    int Instances,
    int Reserved = CapacityInputs.DefaultReserved,
    int OtherClients = 0,
    double SafetyMargin = CapacityInputs.DefaultSafetyMargin,
    int RolloutOverlap = 0,
    int Overflow = CapacityInputs.DefaultOverflow)
{
    /// <summary>PostgreSQL's default <c>superuser_reserved_connections</c>.</summary>
    public const int DefaultReserved = 3;

    /// <summary>The default safety margin.</summary>
    public const double DefaultSafetyMargin = 0.8;

    /// <summary>Holdfast's own connections per instance beyond the pool: the health pool's one.</summary>
    public const int DefaultOverflow = 1;

    /// <summary>Every input that is out of range, as "name: problem" lines.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (MaxConnections is < 1 or > PoolPlanner.PostgresMaxConnections)
        {
            problems.Add($"max connections must be from 1 to {PoolPlanner.PostgresMaxConnections} (PostgreSQL's largest max_connections)");
        }

        if (Instances < 1)
        {
            problems.Add("instances must be at least 1");
        }

        if (Reserved < 0 || OtherClients < 0 || RolloutOverlap < 0 || Overflow < 0)
        {
            problems.Add("reserved, other clients, rollout overlap and overflow cannot be negative");
        }

        if (SafetyMargin is < 0.01 or > 1 || double.IsNaN(SafetyMargin))
        {
            problems.Add("the safety margin must be from 0.01 to 1 (e.g. 0.8)");
        }

        return problems;
    }
}
