using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Holdfast.EntityFrameworkCore.Infrastructure;

/// <summary>
/// EF Core opens the pool's connections itself; this puts each open under Holdfast's circuit: refused at once with
/// <see cref="DatabaseUnavailableException"/> while the circuit is open (nothing is tried), let through as the half-open
/// probe when one is due, and its outcome counted — a failed connect towards opening the circuit, a success ending the run.
/// </summary>
internal sealed class HoldfastConnectionInterceptor(HoldfastDataSource source) : DbConnectionInterceptor
{
    private static readonly ConditionalWeakTable<HoldfastDataSource, HoldfastConnectionInterceptor> Shared = [];
    private readonly ConditionalWeakTable<DbConnection, StrongBox<HoldfastDataSource.ExternalOpen>> opens = [];

    /// <summary>One interceptor per data source, whatever the number of contexts.</summary>
    public static HoldfastConnectionInterceptor For(HoldfastDataSource source) => Shared.GetValue(source, static s => new HoldfastConnectionInterceptor(s));

    public override InterceptionResult ConnectionOpening(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        Enter(connection);
        return result;
    }

    public override ValueTask<InterceptionResult> ConnectionOpeningAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result,
        CancellationToken cancellationToken = default)
    {
        Enter(connection);
        return ValueTask.FromResult(result);
    }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => End(connection, null);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        End(connection, null);
        return Task.CompletedTask;
    }

    public override void ConnectionFailed(DbConnection connection, ConnectionErrorEventData eventData) => End(connection, eventData.Exception);

    public override Task ConnectionFailedAsync(DbConnection connection, ConnectionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        End(connection, eventData.Exception);
        return Task.CompletedTask;
    }

    private void Enter(DbConnection connection) => opens.AddOrUpdate(connection, new StrongBox<HoldfastDataSource.ExternalOpen>(source.EnterExternalOpen()));

    private void End(DbConnection connection, Exception? failure)
    {
        if (!opens.TryGetValue(connection, out var open))
        {
            return;   // refused before it started, or not an open this interceptor let through
        }

        opens.Remove(connection);
        if (failure is not null)
        {
            ConnectFailures.Mark(failure);
        }

        source.ExternalOpenEnded(open.Value, failure);
    }
}
