using Holdfast.Capacity;

namespace Holdfast.Tests.Capacity;

public sealed class PoolPlannerTests
{
    [Fact]
    public void Plan_ShowsEachStepOfTheArithmetic()
    {
        var plan = PoolPlanner.Plan(new CapacityInputs(100, 4, OtherClients: 10, RolloutOverlap: 2));

        Assert.True(plan.Fits);
        Assert.Equal(
        [
            "usable = max_connections 100 - reserved 3 - other clients 10 = 87",
            "budget = floor(87 x margin 0.8) = 69",
            "instances at once = 4 + 2 during rollout = 6",
            "per instance = floor(69 / 6) = 11",
            "pool = 11 - overflow 1 (Holdfast's health pool and what else each instance holds) = 10",
            "total = 6 x (10 + 1) = 66 <= budget 69",
        ], plan.Steps);
        Assert.Equal("Max Pool Size = 10 per instance", plan.Verdict);
    }

    [Fact]
    public void PlanBehindAPooler_SizesThePoolsByItsClientLimit_AndChecksItsServerConnectionsAgainstTheBudget()
    {
        var inputs = new CapacityInputs(MaxConnections: 100, Instances: 40, RolloutOverlap: 2);

        var direct = PoolPlanner.Plan(inputs);
        var pooled = PoolPlanner.Plan(inputs, new PoolerCapacity(DefaultPoolSize: 20, MaxClientConnections: 1000));
        var tooManyServers = PoolPlanner.Plan(inputs, new PoolerCapacity(DefaultPoolSize: 30, Poolers: 3));
        var capped = PoolPlanner.Plan(inputs, new PoolerCapacity(DefaultPoolSize: 30, MaxClientConnections: 1000, MaxDatabaseConnections: 25, Poolers: 3));

        Assert.False(direct.Fits);
        Assert.True(pooled.Fits, pooled.Verdict);
        Assert.Equal(18, pooled.PoolSize);
        Assert.Equal(42 * (18 + 1), pooled.Total);
        Assert.Contains("pooler server connections = 1 pooler(s) x min(default_pool_size 20 x 1 database/user pair(s)) = 20", pooled.Steps);
        Assert.False(tooManyServers.Fits);
        Assert.Contains("Lower default_pool_size to 25", tooManyServers.Verdict, StringComparison.Ordinal);
        Assert.True(capped.Fits, capped.Verdict);
        Assert.Contains("at most 75 server connections", capped.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanBehindAPooler_HugeInputs_NeverOverflow()
    {
        var plan = PoolPlanner.Plan(new CapacityInputs(PoolPlanner.PostgresMaxConnections, int.MaxValue, RolloutOverlap: int.MaxValue, Overflow: int.MaxValue), new PoolerCapacity(int.MaxValue, int.MaxValue, 0, int.MaxValue, int.MaxValue));

        Assert.False(plan.Fits);
        Assert.Contains("instances at once = 2147483647 + 2147483647 during rollout = 4294967294", plan.Steps);
        Assert.StartsWith("no plan fits", plan.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_CapsThePoolAtOneHundredAndSaysSo()
    {
        var plan = PoolPlanner.Plan(new CapacityInputs(1000, 1));

        Assert.Equal(PoolPlanner.MaxRecommendedPool, plan.PoolSize);
        Assert.Contains("the budget allows 796", plan.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_BadInputs_AreRefusedWithEveryProblem()
    {
        var error = Assert.Throws<ArgumentException>(() => PoolPlanner.Plan(new CapacityInputs(0, 0, SafetyMargin: 1.5)));

        Assert.Contains("max connections must be from 1 to 262143", error.Message, StringComparison.Ordinal);
        Assert.Contains("instances must be at least 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("safety margin", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Over many capacities: a plan that fits stays within its budget and is the largest that does (below the cap);
    /// one that does not fit could not fit even a single connection per instance, and the fixes it names do fit.
    /// </summary>
    [Fact]
    public void Plan_Invariants_HoldOverManyCapacities()
    {
        var random = new Random(20261123);
        for (var i = 0; i < 5_000; i++)
        {
            var inputs = new CapacityInputs(
                MaxConnections: random.Next(1, 2_000),
                Instances: random.Next(1, 120),
                Reserved: random.Next(0, 10),
                OtherClients: random.Next(0, 60),
                SafetyMargin: Math.Round(random.Next(10, 101) / 100.0, 2),
                RolloutOverlap: random.Next(0, 5),
                Overflow: random.Next(0, 5));
            var plan = PoolPlanner.Plan(inputs);
            var atOnce = inputs.Instances + inputs.RolloutOverlap;
            Assert.Equal(atOnce, plan.InstancesAtOnce);
            if (plan.Fits)
            {
                Assert.InRange(plan.PoolSize, 1, PoolPlanner.MaxRecommendedPool);
                Assert.Equal(atOnce * (plan.PoolSize + inputs.Overflow), plan.Total);
                Assert.True(plan.Total <= plan.Budget, $"{inputs}: total {plan.Total} over budget {plan.Budget}");
                Assert.True(plan.PoolSize == PoolPlanner.MaxRecommendedPool || atOnce * (plan.PoolSize + 1 + inputs.Overflow) > plan.Budget,
                    $"{inputs}: a pool of {plan.PoolSize + 1} would also fit");
                Assert.True(PoolPlanner.Check(inputs, plan.PoolSize).Fits);
                Assert.False(PoolPlanner.Check(inputs, plan.PoolSize + 1).Fits && plan.PoolSize < PoolPlanner.MaxRecommendedPool);
            }
            else
            {
                Assert.Equal(0, plan.PoolSize);
                Assert.True(atOnce * (1 + inputs.Overflow) > plan.Budget, $"{inputs}: one connection per instance would fit");
                Assert.False(PoolPlanner.Check(inputs, 1).Fits);
                AssertTheNamedFixesFit(inputs, plan.Verdict);
            }
        }
    }

    private static void AssertTheNamedFixesFit(CapacityInputs inputs, string verdict)
    {
        var raise = System.Text.RegularExpressions.Regex.Match(verdict, @"Raise max_connections to at least (\d+)");
        if (raise.Success)
        {
            var max = int.Parse(raise.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(PoolPlanner.Plan(inputs with { MaxConnections = max }).Fits, $"{inputs}: {verdict}");
            Assert.False(PoolPlanner.Plan(inputs with { MaxConnections = max - 1 }).Fits, $"{inputs}: {verdict} (one less would also fit)");
        }

        var fewer = System.Text.RegularExpressions.Regex.Match(verdict, @"run at most (\d+) instances");
        if (fewer.Success)
        {
            var instances = int.Parse(fewer.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(PoolPlanner.Plan(inputs with { Instances = instances }).Fits, $"{inputs}: {verdict}");
            Assert.False(PoolPlanner.Plan(inputs with { Instances = instances + 1 }).Fits, $"{inputs}: {verdict} (one more would also fit)");
        }
    }
}
