using Holdfast.Testing;
using Holdfast.Topology;

namespace Holdfast.Tests.Topology;

public sealed class PoolerDetectorTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(PgBouncerPoolMode.Transaction, PoolingMode.Transaction)]
    [InlineData(PgBouncerPoolMode.Session, PoolingMode.Session)]
    [InlineData(PgBouncerPoolMode.Statement, PoolingMode.Statement)]
    public async Task PgBouncer_IsFound_NamedAndItsModeProbed(PgBouncerPoolMode configured, PoolingMode expected)
    {
        await using var bouncer = await LocalPgBouncer.CreateAsync(fixture.Postgres, new LocalPgBouncerOptions { PoolMode = configured }, Ct);

        var found = await PoolerDetector.DetectAsync(bouncer.ConnectionString, Timeout, cancellationToken: Ct);

        Assert.True(found.Present, found.Evidence);
        Assert.Equal("PgBouncer", found.Name);
        Assert.Equal(expected, found.Mode);
        Assert.Equal(expected != PoolingMode.Session, found.SharesServerConnections);
        Assert.Contains("'not allowed'", found.Evidence, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Postgres.Password, found.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DirectConnection_AndAPlainTcpProxy_AreNoPooler()
    {
        await using var proxy = FaultProxy.Start(fixture.Postgres.Host, fixture.Postgres.Port);
        var proxied = fixture.Postgres.CreateConnectionStringBuilder();
        proxied.Port = proxy.Port;

        var direct = await PoolerDetector.DetectAsync(fixture.Postgres.ConnectionString, Timeout, cancellationToken: Ct);
        var throughProxy = await PoolerDetector.DetectAsync(proxied.ConnectionString, Timeout, cancellationToken: Ct);

        Assert.False(direct.Present, direct.Evidence);
        Assert.False(throughProxy.Present, throughProxy.Evidence);
        Assert.Equal("no pooler", direct.ToString());
    }
}
