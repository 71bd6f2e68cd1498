using Microsoft.Extensions.Logging;

namespace Holdfast.Resilience;

/// <summary>
/// While the circuit is open, probes the database in the background, backing off from the initial delay up to the
/// maximum delay with full jitter (each wait uniform between the attempt spacing and the backoff, so the instances of a
/// fleet whose circuits opened together do not probe in step), and closes the circuit as soon as a probe succeeds. One
/// probe at a time, unless one hangs on a silent connection past the next tick: then another starts beside it (at most
/// eight), so a heal is seen within a tick; every probe's connect also waits its turn at the data source's pacer.
/// Callers never wait on it: they are refused at once while it works.
/// </summary>
internal sealed class RecoveryLoop(
    Func<CancellationToken, Task> probe,
    Func<TimeSpan> probeTimeout,
    Func<Task> closeCircuit,
    Func<bool> circuitOpen,
    TimeProvider time,
    RecoveryLoop.Delays delays,
    ILogger logger) : IAsyncDisposable
{
    /// <summary>
    /// Probes in flight at once, at most. A probe started while the path was silent may wait out its whole timeout (the
    /// adaptive attempt timeout, seconds) even after the path heals, so a fresh one starts at every tick beside it; past
    /// this many, the oldest is given up. A dead path costs at most this many pending connects; a healthy but slow one
    /// still gets probes that live this many ticks (4 s at the default half-second tick).
    /// </summary>
    private const int MaxInFlight = 8;

    private readonly CancellationTokenSource lifetime = new();
    private long nextProbeAtTicks;
    private int running;
    private Task loop = Task.CompletedTask;

    /// <summary>When the next probe starts; null when none is scheduled.</summary>
    public DateTimeOffset? NextProbeAt =>
        Interlocked.Read(ref nextProbeAtTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>How many probes have run (for tests and monitoring).</summary>
    public int Probes => Volatile.Read(ref probes);

    private int probes;

    /// <summary>Starts probing unless a loop already runs.</summary>
    public void Start()
    {
        if (lifetime.IsCancellationRequested || Interlocked.CompareExchange(ref running, 1, 0) != 0)
        {
            return;
        }

        loop = Task.Run(RunAsync);
    }

    public async ValueTask DisposeAsync()
    {
        if (lifetime.IsCancellationRequested)
        {
            return;
        }

        await lifetime.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(false);
        lifetime.Dispose();
    }

    private async Task RunAsync()
    {
        var ceiling = delays.Initial;
        var inFlight = new List<Probe>(MaxInFlight);
        try
        {
            while (!lifetime.IsCancellationRequested && circuitOpen())
            {
                var delay = delays.Jittered(ceiling);
                Interlocked.Exchange(ref nextProbeAtTicks, (time.GetUtcNow() + delay).UtcTicks);
                var tick = Task.Delay(delay, time, lifetime.Token);
                await Task.WhenAny([tick, .. inFlight.Select(p => p.Answer)]).ConfigureAwait(false);
                if (inFlight.Any(p => p.Answer.IsCompletedSuccessfully && p.Answer.Result))
                {
                    await closeCircuit().ConfigureAwait(false);
                    Log.RecoveryProbeSucceeded(logger, Probes);
                    break;
                }

                inFlight.RemoveAll(p => p.Answer.IsCompleted);
                if (!tick.IsCompleted)
                {
                    // A probe failed before the next was due: wait for the tick.
                    await tick.ConfigureAwait(false);
                }

                if (!circuitOpen())
                {
                    break;
                }

                // A probe still waiting on a silent connection does not hold the next one back: the path may have
                // healed meanwhile, and only a fresh connection shows it. The oldest makes room when there are too many.
                if (inFlight.Count == MaxInFlight)
                {
                    await AbandonAsync(inFlight[0]).ConfigureAwait(false);
                    inFlight.RemoveAt(0);
                }

                inFlight.Add(StartProbe());
                ceiling = ceiling * 2 > delays.Max ? delays.Max : ceiling * 2;
            }
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
        {
            // Disposed.
        }
        finally
        {
            Interlocked.Exchange(ref nextProbeAtTicks, 0);
            Volatile.Write(ref running, 0);
            foreach (var left in inFlight)
            {
                await AbandonAsync(left).ConfigureAwait(false);
            }
        }

        // The circuit may have opened again while this loop was finishing: keep watching it.
        if (!lifetime.IsCancellationRequested && circuitOpen())
        {
            Start();
        }
    }

    private static async Task AbandonAsync(Probe probe)
    {
        try
        {
            await probe.Cancel.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // It ended on its own meanwhile.
        }
    }

    private Probe StartProbe()
    {
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(lifetime.Token);
        return new Probe(TryProbeAsync(cancel), cancel);
    }

    private async Task<bool> TryProbeAsync(CancellationTokenSource cancel)
    {
        Interlocked.Increment(ref probes);
        using var timeout = new CancellationTokenSource(probeTimeout(), time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token, timeout.Token);
        try
        {
            // WaitAsync: a probe stuck where cancellation is not observed (a synchronous DNS lookup) is abandoned.
            await probe(linked.Token).WaitAsync(linked.Token).ConfigureAwait(false);
            return true;
        }
#pragma warning disable CA1031 // A probe's failure is its answer; after disposal it is not even that.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (!cancel.IsCancellationRequested)
            {
                Log.RecoveryProbeFailed(logger, Probes, ex.GetType().Name);
            }

            return false;
        }
        finally
        {
            cancel.Dispose();
        }
    }

    /// <summary>The backoff between probes: from <paramref name="Initial"/>, doubling to <paramref name="Max"/>, each wait full-jittered above <paramref name="Floor"/>.</summary>
    /// <param name="Initial">The first backoff.</param>
    /// <param name="Max">The largest backoff.</param>
    /// <param name="Floor">The shortest wait (the attempt spacing).</param>
    /// <param name="Jitter">A random number in [0, 1).</param>
    internal sealed record Delays(TimeSpan Initial, TimeSpan Max, TimeSpan Floor, Func<double> Jitter)
    {
        /// <summary>A wait uniform in [floor, ceiling] (the ceiling itself when it is below the floor).</summary>
        public TimeSpan Jittered(TimeSpan ceiling) => ceiling <= Floor
            ? ceiling
            : Floor + TimeSpan.FromTicks((long)((ceiling - Floor).Ticks * Jitter()));
    }

    /// <summary>A probe in flight and what ends it early.</summary>
    private sealed record Probe(Task<bool> Answer, CancellationTokenSource Cancel);
}
