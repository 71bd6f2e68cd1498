using Holdfast.Resilience;

namespace Holdfast.Tests.Resilience;

public sealed class BackoffTests
{
    private static readonly TimeSpan Base = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(0, 250)]
    [InlineData(1, 500)]
    [InlineData(2, 1000)]
    [InlineData(5, 8000)]
    [InlineData(6, 10000)]
    [InlineData(60, 10000)]
    public void Ceiling_DoublesUpToTheMaximum(int attempt, double milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Backoff.Ceiling(attempt, Base, Max));
    }

    [Fact]
    public void Delay_AlwaysWithinHalfTheCeilingAndTheCeiling()
    {
        var random = new Random(42);
        for (var attempt = 0; attempt < 12; attempt++)
        {
            var ceiling = Backoff.Ceiling(attempt, Base, Max);
            var delays = Enumerable.Range(0, 500).Select(_ => Backoff.Delay(attempt, Base, Max, random.NextDouble())).ToList();

            Assert.All(delays, d => Assert.InRange(d, ceiling / 2, ceiling));
            // The jitter really spreads the delays across the range rather than sitting at one end.
            Assert.True(delays.Max() - delays.Min() > ceiling * 0.4, $"attempt {attempt}: spread {delays.Max() - delays.Min()}");
        }
    }

    [Fact]
    public void Delay_JitterZeroAndAlmostOne_AreTheBounds()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(500), Backoff.Delay(2, Base, Max, 0));
        Assert.InRange(Backoff.Delay(2, Base, Max, 0.999999), TimeSpan.FromMilliseconds(999), TimeSpan.FromMilliseconds(1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Delay(0, Base, Max, 1.0));
    }
}
