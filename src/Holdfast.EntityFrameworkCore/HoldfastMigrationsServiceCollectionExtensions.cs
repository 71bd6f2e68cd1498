using Holdfast.EntityFrameworkCore.Migrations;
using Holdfast.Startup;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers EF Core migrations as a Holdfast start-up phase.</summary>
public static class HoldfastMigrationsServiceCollectionExtensions
{
    /// <summary>
    /// Applies <typeparamref name="TContext"/>'s pending migrations at start-up, as the table-setup phase: after the
    /// database phase, within the table-setup budget (<c>Holdfast:Timeouts:TableSetup</c>) as both cancellation and
    /// command timeout, on the admin pool. A failure fails the start-up naming the phase; while the database is away it
    /// is deferred and run by the recovery, as every phase that needs the database is.
    /// </summary>
    /// <typeparam name="TContext">The context whose migrations to apply; register it with <c>AddDbContext</c>.</typeparam>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddHoldfastMigrations<TContext>(this IServiceCollection services)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupPhase, MigrationsPhase<TContext>>());
        return services;
    }
}
