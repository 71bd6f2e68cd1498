using Holdfast.Timeouts;

namespace Holdfast.Tests.Timeouts;

public sealed class TimeoutProfileTests
{
    [Theory]
    [InlineData(HoldfastEnvironment.Development, 30, 20, 30, 15, 10, 5)]
    [InlineData(HoldfastEnvironment.Test, 30, 20, 30, 15, 10, 5)]
    [InlineData(HoldfastEnvironment.Staging, 75, 35, 45, 25, 20, 8)]
    [InlineData(HoldfastEnvironment.Production, 90, 60, 60, 45, 20, 15)]
    public void For_Environment_MatchesTheDesignTable(HoldfastEnvironment environment, int init, int connection, int pool, int table, int health, int operation)
    {
        Assert.Equal(TimeoutProfile.Seconds(init, connection, pool, table, health, operation), TimeoutProfile.For(environment));
    }

    [Fact]
    public void FiveValueProfile_GetsTheDefaultOperationBudget()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), TimeoutProfile.Seconds(10, 2, 3, 2, 1).Operation);
        Assert.Equal(TimeSpan.FromSeconds(5), new TimeoutProfile(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3),
            TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)).Operation);
    }

    [Fact]
    public void With_ChangesOnlyTheNamedTimeout()
    {
        var changed = TimeoutProfile.Staging.With(TimeoutKind.Pool, TimeSpan.FromSeconds(99));

        Assert.Equal(TimeSpan.FromSeconds(99), changed[TimeoutKind.Pool]);
        Assert.Equal(TimeoutProfile.Staging with { Pool = TimeSpan.FromSeconds(99) }, changed);
    }
}
