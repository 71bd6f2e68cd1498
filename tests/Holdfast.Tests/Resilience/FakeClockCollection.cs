namespace Holdfast.Tests.Resilience;

/// <summary>
/// Tests that drive a fake clock and wait for the thread pool to go quiet between steps. They run alone, after the
/// parallel tests: two of them at once would keep each other's thread pool busy.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FakeClockCollection
{
    public const string Name = "fake clock";
}
