using System.Globalization;

namespace Holdfast.Capacity;

/// <summary>
/// Sizes pools: instances × (pool + overflow) must stay within (max_connections − reserved − other clients) × margin,
/// counting the extra instances of a rolling deployment.
/// </summary>
internal static class PoolPlanner
{
    /// <summary>The largest pool recommended: Npgsql's default Max Pool Size. More rarely helps; it only queues in PostgreSQL.</summary>
    public const int MaxRecommendedPool = 100;

    /// <summary>PostgreSQL's largest <c>max_connections</c>.</summary>
    public const int PostgresMaxConnections = 262143;

    /// <summary>Plans the pool size.</summary>
    /// <param name="inputs">The capacity.</param>
    /// <exception cref="ArgumentException">An input is out of range (see <see cref="CapacityInputs.Problems"/>).</exception>
    public static PoolPlan Plan(CapacityInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Problems() is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join("; ", problems), nameof(inputs));
        }

        var steps = new List<string>();
        var (usable, budget) = ServerBudget(inputs, steps);
        var atOnce = (long)inputs.Instances + inputs.RolloutOverlap;
        steps.Add($"instances at once = {inputs.Instances} + {inputs.RolloutOverlap} during rollout = {atOnce}");
        var perInstance = budget / atOnce;
        steps.Add($"per instance = floor({budget} / {atOnce}) = {perInstance}");
        var pool = perInstance - inputs.Overflow;
        steps.Add($"pool = {perInstance} - overflow {inputs.Overflow} (Holdfast's health pool and what else each instance holds) = {pool}");

        if (usable <= 0)
        {
            return NoFit(inputs, usable, budget, Clamp(atOnce), Clamp(perInstance), steps,
                $"no plan fits: max_connections {inputs.MaxConnections} leaves nothing after {inputs.Reserved} reserved and {inputs.OtherClients} other clients; raise max_connections or move the other clients");
        }

        if (pool < 1)
        {
            var needed = atOnce * (1L + inputs.Overflow);
            var neededMax = SmallestMaxConnections(inputs, needed);
            var raise = neededMax <= PostgresMaxConnections
                ? $"Raise max_connections to at least {neededMax}"
                : $"No server takes that many (max_connections is at most {PostgresMaxConnections})";
            var maxInstances = budget / (1L + inputs.Overflow) - inputs.RolloutOverlap;
            var instancesFix = maxInstances >= 1 ? $"run at most {maxInstances} instances" : "run fewer instances";
            return NoFit(inputs, usable, budget, Clamp(atOnce), Clamp(perInstance), steps,
                $"no plan fits: {atOnce} instances need at least {atOnce} x (1 + {inputs.Overflow}) = {needed} connections but the budget is {budget}. " +
                $"{raise}, {instancesFix}, or put a pooler (PgBouncer, Cloud SQL Managed Connection Pooling) in front");
        }

        var recommended = (int)Math.Min(pool, MaxRecommendedPool);
        var total = atOnce * (recommended + inputs.Overflow);
        steps.Add($"total = {atOnce} x ({recommended} + {inputs.Overflow}) = {total} <= budget {budget}");
        var verdict = $"Max Pool Size = {recommended} per instance" +
                      (recommended < pool ? $" (the budget allows {pool}; more than {MaxRecommendedPool} rarely helps)" : "");
        return new PoolPlan(inputs, true, recommended, usable, budget, Clamp(atOnce), Clamp(perInstance), Clamp(total), steps, verdict);
    }

    /// <summary>
    /// Plans the pool behind a pooler: the services' pools are the pooler's clients, so they must fit its
    /// <c>max_client_conn</c> (across poolers, with the margin); the pooler's server connections
    /// (<c>default_pool_size</c> per database and user, capped by <c>max_db_connections</c>, times the poolers) must fit the
    /// server's budget. The per-instance pool no longer depends on <c>max_connections</c>.
    /// </summary>
    /// <param name="inputs">The server and the service's instances.</param>
    /// <param name="pooler">What the pooler allows.</param>
    /// <exception cref="ArgumentException">An input is out of range.</exception>
    public static PoolPlan Plan(CapacityInputs inputs, PoolerCapacity pooler)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(pooler);
        if (inputs.Problems().Concat(pooler.Problems()).ToList() is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join("; ", problems), nameof(inputs));
        }

        var steps = new List<string>();
        var (usable, budget) = ServerBudget(inputs, steps);
        var server = Saturating((Int128)pooler.ServerConnectionsPerPooler * pooler.Poolers);
        steps.Add($"pooler server connections = {pooler.Poolers} pooler(s) x min(default_pool_size {pooler.DefaultPoolSize} x {pooler.DatabaseUsers} database/user pair(s)" +
                  (pooler.MaxDatabaseConnections > 0 ? $", max_db_connections {pooler.MaxDatabaseConnections}" : "") + $") = {server}");
        var atOnce = (long)inputs.Instances + inputs.RolloutOverlap;
        steps.Add($"instances at once = {inputs.Instances} + {inputs.RolloutOverlap} during rollout = {atOnce}");
        var clientBudget = (long)Math.Floor(((double)pooler.MaxClientConnections * pooler.Poolers * inputs.SafetyMargin) + 1e-9);
        steps.Add($"client budget = floor({pooler.Poolers} x max_client_conn {pooler.MaxClientConnections} x margin {Format(inputs.SafetyMargin)}) = {clientBudget}");
        var perInstance = clientBudget / atOnce;
        steps.Add($"per instance = floor({clientBudget} / {atOnce}) = {perInstance}");
        var pool = perInstance - inputs.Overflow;
        steps.Add($"pool = {perInstance} - overflow {inputs.Overflow} (Holdfast's health pool and what else each instance holds, through the pooler too) = {pool}");

        if (usable <= 0 || server > budget)
        {
            var fitting = budget / pooler.Poolers / pooler.DatabaseUsers;
            return NoFit(inputs, usable, budget, Clamp(atOnce), Clamp(perInstance), steps,
                $"no plan fits: the pooler may open {server} server connections but the server's budget is {budget}. " +
                (fitting >= 1
                    ? $"Lower default_pool_size to {fitting} (or set max_db_connections to {budget / pooler.Poolers}), or raise max_connections"
                    : "Raise max_connections or run fewer poolers"));
        }

        if (pool < 1)
        {
            var needed = Saturating((Int128)atOnce * (1 + inputs.Overflow));
            var neededClients = (long)Math.Ceiling(needed / inputs.SafetyMargin / pooler.Poolers);
            return NoFit(inputs, usable, budget, Clamp(atOnce), Clamp(perInstance), steps,
                $"no plan fits: {atOnce} instances need at least {needed} client connections but the poolers accept {clientBudget} within the margin. " +
                $"Raise max_client_conn to at least {neededClients}, run more poolers, or fewer instances");
        }

        var recommended = (int)Math.Min(pool, MaxRecommendedPool);
        var total = atOnce * (recommended + inputs.Overflow);
        steps.Add($"clients = {atOnce} x ({recommended} + {inputs.Overflow}) = {total} <= client budget {clientBudget}; the server sees at most {server} of its budget {budget}");
        var verdict = $"Max Pool Size = {recommended} per instance, as clients of the pooler (which holds at most {server} server connections)" +
                      (recommended < pool ? $" (the pooler allows {pool}; more than {MaxRecommendedPool} rarely helps)" : "");
        return new PoolPlan(inputs, true, recommended, usable, budget, Clamp(atOnce), Clamp(perInstance), Clamp(total), steps, verdict);
    }

    /// <summary>The server's usable slots and the share pools may take, each written as a step.</summary>
    private static (int Usable, int Budget) ServerBudget(CapacityInputs inputs, List<string> steps)
    {
        var usable = (int)Math.Max(int.MinValue, (long)inputs.MaxConnections - inputs.Reserved - inputs.OtherClients);
        steps.Add($"usable = max_connections {inputs.MaxConnections} - reserved {inputs.Reserved} - other clients {inputs.OtherClients} = {usable}");
        var budget = Budget(usable, inputs.SafetyMargin);
        steps.Add($"budget = floor({usable} x margin {Format(inputs.SafetyMargin)}) = {budget}");
        return (usable, budget);
    }

    /// <summary>A product that cannot exceed <see cref="long.MaxValue"/>.</summary>
    internal static long Saturating(Int128 value) => value > long.MaxValue ? long.MaxValue : (long)value;

    private static int Clamp(long value) => (int)Math.Clamp(value, int.MinValue, int.MaxValue);

    /// <summary>Whether a pool of <paramref name="poolSize"/> fits the capacity; the plan says what would.</summary>
    /// <param name="inputs">The capacity.</param>
    /// <param name="poolSize">The configured Max Pool Size.</param>
    public static (bool Fits, PoolPlan Plan) Check(CapacityInputs inputs, int poolSize)
    {
        var plan = Plan(inputs);
        return (plan.Fits && ((long)inputs.Instances + inputs.RolloutOverlap) * ((long)poolSize + inputs.Overflow) <= plan.Budget, plan);
    }

    /// <summary>floor(usable × margin), with a tolerance so 600 × 0.41 is 246, not 245.99999999999997.</summary>
    private static int Budget(int usable, double margin) => usable <= 0 ? 0 : (int)Math.Floor((usable * margin) + 1e-9);

    /// <summary>The smallest max_connections whose budget holds <paramref name="needed"/> connections.</summary>
    private static long SmallestMaxConnections(CapacityInputs inputs, long needed)
    {
        if (needed / inputs.SafetyMargin > PostgresMaxConnections)
        {
            // Beyond any server: no need to count it out.
            return (long)Math.Min(long.MaxValue / 2, Math.Ceiling(needed / inputs.SafetyMargin));
        }

        var usable = (long)Math.Ceiling(needed / inputs.SafetyMargin);
        while (usable > 1 && LongBudget(usable - 1, inputs.SafetyMargin) >= needed)
        {
            usable--;
        }

        while (LongBudget(usable, inputs.SafetyMargin) < needed)
        {
            usable++;
        }

        return usable + inputs.Reserved + inputs.OtherClients;
    }

    private static long LongBudget(long usable, double margin) => usable <= 0 ? 0 : (long)Math.Floor((usable * margin) + 1e-9);

    private static PoolPlan NoFit(CapacityInputs inputs, int usable, int budget, int atOnce, int perInstance, List<string> steps, string verdict) =>
        new(inputs, false, 0, usable, budget, atOnce, perInstance, 0, steps, verdict);

    private static string Format(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
