using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Npgsql;
using Npgsql.Internal;

// NpgsqlConnector is Npgsql's "for evaluation" type: only its socket and Break are touched, and a change turns the check off.
#pragma warning disable NPG9001

namespace Holdfast.Resilience;

/// <summary>
/// Finds a pooled connection the server already ended — <c>pg_terminate_backend</c>, <c>idle_session_timeout</c>, a
/// restart or failover, a pooler's client idle timeout — before a caller gets it. Npgsql hands out an idle connection
/// without looking at it (it notices only when the next command fails); an ended one has the server's farewell (an error
/// message, or the end of the stream) waiting on its socket, which one non-blocking poll sees (~0.6 µs; a round trip is
/// ~100 µs). Such a connection is broken, so the pool closes it instead of taking it back, and the caller gets another.
/// Npgsql keeps the connection's socket to itself: it is read through <see cref="UnsafeAccessorAttribute"/> (checked
/// against the Npgsql version Holdfast is built with); should a later Npgsql lay it out differently, the check turns
/// itself off and Npgsql's own behaviour remains.
/// </summary>
internal static class StaleConnections
{
    private static volatile bool unavailable;

    /// <summary>
    /// How often one connection's socket is looked at, at most: once per tick of a millisecond clock. In a busy pool a
    /// connection is rented again microseconds after it came back, too soon for the server to have ended it unseen; the
    /// poll is then skipped, so a hot path pays a read of the coarse clock and a table look-up, not a system call. On the
    /// system clock that is <see cref="Environment.TickCount64"/> (a few nanoseconds; its tick is 1–4 ms on Linux), on
    /// another (a test's fake clock) its timestamp in milliseconds.
    /// </summary>
    private static long MillisecondsOf(TimeProvider time) =>
        time == TimeProvider.System ? Environment.TickCount64 : (long)(time.GetTimestamp() * 1000.0 / time.TimestampFrequency);

    /// <summary>
    /// When each connection was last looked at: a slot per connection, chosen by its identity hash. A slot holds the rest
    /// of that hash beside the millisecond, in one 64-bit word (read and written whole), so two connections that share a
    /// slot only ever cause an extra look, never a skipped one. No table of weak references, nothing allocated per connection.
    /// </summary>
    private static readonly long[] LastLooked = new long[SlotCount];

    private const int SlotBits = 12;
    private const int SlotCount = 1 << SlotBits;
    private const int StampBits = 40;
    private const long StampMask = (1L << StampBits) - 1;

    /// <summary>True when the server has already ended <paramref name="connection"/>'s session (or sent it something unasked).</summary>
    /// <param name="connection">A connection just rented from the pool.</param>
    /// <param name="time">The clock the gap between two looks is measured with.</param>
    public static bool IsEnded(NpgsqlConnection connection, TimeProvider time)
    {
        if (unavailable)
        {
            return false;
        }

        try
        {
            if (Connector(connection) is not { } connector)
            {
                return false;
            }

            var hash = RuntimeHelpers.GetHashCode(connector);
            ref var slot = ref LastLooked[hash & (SlotCount - 1)];
            var looked = ((long)(hash >>> SlotBits) << StampBits) | (MillisecondsOf(time) & StampMask);
            if (Volatile.Read(ref slot) == looked)
            {
                return false;
            }

            Volatile.Write(ref slot, looked);
            return SocketOf(connector) is { } socket && socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is MissingMemberException or ObjectDisposedException or SocketException)
        {
            unavailable = ex is MissingMemberException;
            return false;
        }
    }

    /// <summary>Marks the connection's session broken, so that disposing it closes it instead of returning it to the pool.</summary>
    public static void Discard(NpgsqlConnection connection)
    {
        try
        {
            if (Connector(connection) is { } connector)
            {
                _ = Break(connector, new NpgsqlException("Holdfast: the server had already ended this pooled connection"), false);
            }
        }
        catch (MissingMemberException)
        {
            unavailable = true;
        }
        finally
        {
            connection.Dispose();
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Connector")]
    private static extern NpgsqlConnector? Connector(NpgsqlConnection connection);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_socket")]
    private static extern ref Socket SocketOf(NpgsqlConnector connector);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Break")]
    private static extern Exception Break(NpgsqlConnector connector, Exception reason, bool markHostAsOfflineOnConnecting);
}
