using System.Runtime.InteropServices;

namespace Holdfast.AspNetCore.Dashboard;

/// <summary>
/// Latency samples of one series between two flushes: count, sum and maximum, added without a lock. Each processor adds
/// to a stripe of its own (a cache line apart), so callers on different cores never write to the same line; a flush
/// takes every stripe's totals and starts them again. A sample added while a flush runs lands in that flush or the next.
/// </summary>
internal sealed class LatencyAccumulator
{
    private readonly Stripe[] stripes = new Stripe[StripeCount];

    private static int StripeCount { get; } = (int)Math.Min(64, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount));

    /// <summary>Adds one sample.</summary>
    public void Add(long ticks)
    {
        ref var stripe = ref stripes[Thread.GetCurrentProcessorId() & (StripeCount - 1)];
        Interlocked.Add(ref stripe.SumTicks, ticks);
        long seen;
        while (ticks > (seen = Volatile.Read(ref stripe.MaxTicks)) && Interlocked.CompareExchange(ref stripe.MaxTicks, ticks, seen) != seen)
        {
        }

        Interlocked.Increment(ref stripe.Count);
    }

    /// <summary>The samples since the last flush, which start again from none.</summary>
    public (int Count, long SumTicks, long MaxTicks) Flush()
    {
        long count = 0, sum = 0, max = 0;
        for (var i = 0; i < stripes.Length; i++)
        {
            ref var stripe = ref stripes[i];
            count += Interlocked.Exchange(ref stripe.Count, 0);
            sum += Interlocked.Exchange(ref stripe.SumTicks, 0);
            max = Math.Max(max, Interlocked.Exchange(ref stripe.MaxTicks, 0));
        }

        return ((int)Math.Min(count, int.MaxValue), sum, max);
    }

    /// <summary>One processor's totals, alone on its cache line (and clear of the next one's prefetch).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct Stripe
    {
        [FieldOffset(0)]
        public long Count;

        [FieldOffset(8)]
        public long SumTicks;

        [FieldOffset(16)]
        public long MaxTicks;
    }
}
