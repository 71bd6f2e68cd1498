using Holdfast.Testing;

[assembly: AssemblyFixture(typeof(Holdfast.Tests.Support.PostgresFixture))]

namespace Holdfast.Tests.Support;

/// <summary>One real cluster shared by the whole assembly; tests that break a server make their own.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private LocalPostgres? postgres;

    public LocalPostgres Postgres => postgres ?? throw new InvalidOperationException("The cluster has not started.");

    public async ValueTask InitializeAsync() => postgres = await LocalPostgres.CreateAsync();

    public async ValueTask DisposeAsync()
    {
        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }
    }
}
