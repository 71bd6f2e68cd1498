using Holdfast.Startup;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Holdfast.EntityFrameworkCore.Migrations;

/// <summary>
/// Applies <typeparamref name="TContext"/>'s pending migrations as the start-up's table-setup phase: on the admin pool
/// (its own small pool and application name), with the table-setup budget as both the cancellation and every command's
/// timeout. Several replicas starting at once are safe: EF Core takes its migration lock, so one applies them and the
/// others find them applied.
/// </summary>
internal sealed class MigrationsPhase<TContext>(IServiceProvider services) : IStartupPhase
    where TContext : DbContext
{
    public string Name => $"migrations ({typeof(TContext).Name})";

    public StartupPhaseKind Kind => StartupPhaseKind.TableSetup;

    public async ValueTask RunAsync(StartupPhaseContext context, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        await using var connection = await context.AdminDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        db.Database.SetDbConnection(connection);
        db.Database.SetCommandTimeout(context.Budget);
        await db.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
    }
}
