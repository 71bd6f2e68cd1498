using Holdfast.Cli.Monitor;
using Holdfast.Testing;
using Holdfast.Timeouts;

namespace Holdfast.Cli.Tests.Monitor;

public sealed class MonitorSessionTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;

    [Fact]
    public async Task Sample_SucceedingAfterRetries_CountsEveryAttempt()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.Reset();
        var endpoint = DatabaseEndpoint.Parse(
            postgres.DatabaseUrlVia(proxy.Port));
        await using var session = new MonitorSession(endpoint, HoldfastTimeouts.For(HoldfastEnvironment.Development),
            TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeProvider.System);

        var running = session.RunAsync(_ => { }, TestContext.Current.CancellationToken);
        // The untimed warm-up is reset first (not retried), then the sample's first attempt. Heal the path once that one
        // has been reset: the guard retries (50 ms backoff) and gets through.
        while (proxy.AcceptedConnections < 2 && !running.IsCompleted)
        {
            await Task.Delay(2, TestContext.Current.CancellationToken);
        }

        proxy.Pass();
        await running;

        var sample = Assert.Single(session.Samples);
        Assert.Equal(SampleOutcome.Ok, sample.Outcome);
        Assert.Equal(proxy.AcceptedConnections - 1, sample.Attempts);
        Assert.True(sample.Attempts >= 2, $"{sample.Attempts} attempts");
    }
}
