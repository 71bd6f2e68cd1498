using Holdfast.Testing;

[assembly: AssemblyFixture(typeof(Holdfast.Tests.Shared.PostgresFixture))]

namespace Holdfast.Tests.Shared;

/// <summary>
/// One real cluster shared by a whole test assembly (compiled into each test project). Tests that break a
/// server (stop it, fill its slots) make their own <see cref="LocalPostgres"/>.
/// </summary>
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
