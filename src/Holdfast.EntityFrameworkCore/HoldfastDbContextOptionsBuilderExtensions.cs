using Holdfast;
using Holdfast.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Puts a <see cref="DbContext"/> on Holdfast's guarded PostgreSQL access. In the dependency-injection namespace, where
/// <c>AddDbContext((sp, options) =&gt; options.UseHoldfast(sp))</c> is written: it compiles in a web project with the
/// template's usings alone (EF Core's own <c>UseNpgsql</c> needs <c>using Microsoft.EntityFrameworkCore</c>).
/// </summary>
public static class HoldfastDbContextOptionsBuilderExtensions
{
    /// <summary>
    /// Uses Holdfast's data source from <paramref name="services"/> (registered by <c>AddHoldfast</c>): the same pool and
    /// Npgsql settings, an execution strategy built on Holdfast's classification, backoff, operation budget and circuit
    /// breaker, and a connection interceptor that fails fast while the circuit is open and reports connection failures
    /// to it. User transactions follow EF's rule for retrying strategies: run them inside
    /// <c>db.Database.CreateExecutionStrategy().ExecuteAsync(...)</c>.
    /// </summary>
    /// <param name="optionsBuilder">The context's options.</param>
    /// <param name="services">The application's services, with Holdfast registered.</param>
    /// <param name="npgsqlOptionsAction">Npgsql's EF options (migrations assembly, NodaTime, ...). Do not call
    /// <c>EnableRetryOnFailure</c> here: it would replace Holdfast's execution strategy.</param>
    /// <returns>The options builder.</returns>
    public static DbContextOptionsBuilder UseHoldfast(this DbContextOptionsBuilder optionsBuilder, IServiceProvider services,
        Action<NpgsqlDbContextOptionsBuilder>? npgsqlOptionsAction)
    {
        ArgumentNullException.ThrowIfNull(services);
        return optionsBuilder.UseHoldfast(services.GetRequiredService<HoldfastDataSource>(), npgsqlOptionsAction);
    }

    /// <summary>Uses Holdfast's data source from <paramref name="services"/> with Npgsql's EF defaults; see the overload with Npgsql's options.</summary>
    /// <param name="optionsBuilder">The context's options.</param>
    /// <param name="services">The application's services, with Holdfast registered.</param>
    /// <returns>The options builder.</returns>
    public static DbContextOptionsBuilder UseHoldfast(this DbContextOptionsBuilder optionsBuilder, IServiceProvider services) =>
        optionsBuilder.UseHoldfast(services, npgsqlOptionsAction: null);

    /// <summary>Uses <paramref name="dataSource"/> (outside dependency injection) with Npgsql's EF defaults.</summary>
    /// <param name="optionsBuilder">The context's options.</param>
    /// <param name="dataSource">Holdfast's data source.</param>
    /// <returns>The options builder.</returns>
    public static DbContextOptionsBuilder UseHoldfast(this DbContextOptionsBuilder optionsBuilder, HoldfastDataSource dataSource) =>
        optionsBuilder.UseHoldfast(dataSource, npgsqlOptionsAction: null);

    /// <summary>Uses <paramref name="dataSource"/>, as <see cref="UseHoldfast(DbContextOptionsBuilder, IServiceProvider, Action{NpgsqlDbContextOptionsBuilder})"/> does.</summary>
    /// <param name="optionsBuilder">The context's options.</param>
    /// <param name="dataSource">Holdfast's data source.</param>
    /// <param name="npgsqlOptionsAction">Npgsql's EF options; do not enable EF's own retries here.</param>
    /// <returns>The options builder.</returns>
    public static DbContextOptionsBuilder UseHoldfast(this DbContextOptionsBuilder optionsBuilder, HoldfastDataSource dataSource,
        Action<NpgsqlDbContextOptionsBuilder>? npgsqlOptionsAction)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        ArgumentNullException.ThrowIfNull(dataSource);
        // Holdfast's data source itself: EF creates its connections through it, so each comes from the pool in force then
        // (a pooler adaptation replaces the pool once; options built before it must not keep the retired one).
        optionsBuilder.UseNpgsql(dataSource, npgsql =>
        {
            npgsql.ExecutionStrategy(dependencies => new HoldfastExecutionStrategy(dependencies, dataSource));
            npgsqlOptionsAction?.Invoke(npgsql);
        });
        return optionsBuilder.AddInterceptors(HoldfastConnectionInterceptor.For(dataSource));
    }
}
