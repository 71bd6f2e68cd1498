using System.Runtime.CompilerServices;

namespace Holdfast.EntityFrameworkCore.Infrastructure;

/// <summary>
/// The exceptions that ended an open (seen by the interceptor), so that the execution strategy classifies them as
/// connect failures: a timeout while connecting is worth another attempt, a timeout of a running query is not.
/// </summary>
internal static class ConnectFailures
{
    private static readonly ConditionalWeakTable<Exception, object> Seen = [];

    public static void Mark(Exception exception) => Seen.AddOrUpdate(exception, Seen);

    public static bool Contains(Exception exception) => Seen.TryGetValue(exception, out _);
}
