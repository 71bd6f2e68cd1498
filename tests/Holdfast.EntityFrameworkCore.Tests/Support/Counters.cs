using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Holdfast.EntityFrameworkCore.Tests.Support;

/// <summary>Counts what EF Core did: connection opens started and commands executed.</summary>
public sealed class Counters : DbConnectionInterceptor, IDbCommandInterceptor
{
    private int opens;
    private int commands;

    public int Opens => Volatile.Read(ref opens);

    public int Commands => Volatile.Read(ref commands);

    public override ValueTask<InterceptionResult> ConnectionOpeningAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result,
        CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref opens);
        return ValueTask.FromResult(result);
    }

    public ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result,
        CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref commands);
        return ValueTask.FromResult(result);
    }

    public ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result,
        CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref commands);
        return ValueTask.FromResult(result);
    }
}
