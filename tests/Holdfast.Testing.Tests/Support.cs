using Holdfast.Testing;

[assembly: AssemblyFixture(typeof(Holdfast.Testing.Tests.PostgresFixture))]

namespace Holdfast.Testing.Tests;

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
