using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Holdfast.EntityFrameworkCore.Infrastructure;

/// <summary>
/// EF Core opens the pool's connections itself; this puts each open under Holdfast's circuit: refused at once with
/// <see cref="DatabaseUnavailableException"/> while the circuit is open (nothing is tried), let through as the half-open
/// probe when one is due, and its outcome counted — a failed connect towards opening the circuit, a success ending the run.
/// An ordinary open keeps nothing between its start and its end (EF Core reports its duration), so the hot path holds no
/// table and takes no lock; only the rare half-open probe is remembered, to be released if it ends without a verdict.
/// </summary>
internal sealed class HoldfastConnectionInterceptor(HoldfastDataSource source) : DbConnectionInterceptor
{
    private static readonly ConditionalWeakTable<HoldfastDataSource, HoldfastConnectionInterceptor> Shared = [];
    private readonly ConditionalWeakTable<DbConnection, StrongBox<HoldfastDataSource.ExternalOpen>> probes = [];

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

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => End(connection, eventData.Duration, null);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        End(connection, eventData.Duration, null);
        return Task.CompletedTask;
    }

    public override void ConnectionFailed(DbConnection connection, ConnectionErrorEventData eventData) => End(connection, eventData.Duration, eventData.Exception);

    public override Task ConnectionFailedAsync(DbConnection connection, ConnectionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        End(connection, eventData.Duration, eventData.Exception);
        return Task.CompletedTask;
    }

    private void Enter(DbConnection connection)
    {
        var open = source.EnterExternalOpen();
        if (open.Probe)
        {
            probes.AddOrUpdate(connection, new StrongBox<HoldfastDataSource.ExternalOpen>(open));
        }
    }

    private void End(DbConnection connection, TimeSpan duration, Exception? failure)
    {
        if (failure is DatabaseUnavailableException)
        {
            return;   // refused by Enter before anything was tried (Npgsql's own opens never fail with it)
        }

        HoldfastDataSource.ExternalOpen open;
        if (probes.TryGetValue(connection, out var probe))
        {
            probes.Remove(connection);
            open = probe.Value;
        }
        else
        {
            open = source.ExternalOpenSince(duration);
        }

        if (failure is not null)
        {
            ConnectFailures.Mark(failure);
        }

        source.ExternalOpenEnded(open, failure);
    }
}
