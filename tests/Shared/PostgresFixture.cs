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

    /// <summary>
    /// Room for the load tests that run side by side in one assembly (two classes at a time, each with up to forty
    /// callers and its own pool): with LocalPostgres's default of 50 they crowded each other out ("too many clients").
    /// </summary>
    public const int MaxConnections = 120;

    public async ValueTask InitializeAsync() => postgres = await LocalPostgres.CreateAsync(new LocalPostgresOptions { MaxConnections = MaxConnections });

    public async ValueTask DisposeAsync()
    {
        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }
    }
}
