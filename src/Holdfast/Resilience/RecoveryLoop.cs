using Microsoft.Extensions.Logging;

namespace Holdfast.Resilience;

/// <summary>
/// While the circuit is open, probes the database in the background, one probe at a time, backing off from the
/// initial delay up to the break duration, and closes the circuit as soon as a probe succeeds. Callers never wait
/// on it: they are refused at once while it works.
/// </summary>
internal sealed class RecoveryLoop(
    Func<CancellationToken, Task> probe,
    Func<TimeSpan> probeTimeout,
    Func<Task> closeCircuit,
    Func<bool> circuitOpen,
    TimeProvider time,
    TimeSpan initialDelay,
    TimeSpan maxDelay,
    ILogger logger) : IAsyncDisposable
{
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
        var delay = initialDelay;
        try
        {
            while (!lifetime.IsCancellationRequested && circuitOpen())
            {
                Interlocked.Exchange(ref nextProbeAtTicks, (time.GetUtcNow() + delay).UtcTicks);
                await Task.Delay(delay, time, lifetime.Token).ConfigureAwait(false);
                if (!circuitOpen())
                {
                    break;
                }

                if (await TryProbeAsync().ConfigureAwait(false))
                {
                    await closeCircuit().ConfigureAwait(false);
                    Log.RecoveryProbeSucceeded(logger, Probes);
                    break;
                }

                delay = delay * 2 > maxDelay ? maxDelay : delay * 2;
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
        }

        // The circuit may have opened again while this loop was finishing: keep watching it.
        if (!lifetime.IsCancellationRequested && circuitOpen())
        {
            Start();
        }
    }

    private async Task<bool> TryProbeAsync()
    {
        Interlocked.Increment(ref probes);
        using var timeout = new CancellationTokenSource(probeTimeout(), time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(lifetime.Token, timeout.Token);
        try
        {
            // WaitAsync: a probe stuck where cancellation is not observed (a synchronous DNS lookup) is abandoned.
            await probe(linked.Token).WaitAsync(linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (!lifetime.IsCancellationRequested)
        {
            Log.RecoveryProbeFailed(logger, Probes, ex.GetType().Name);
            return false;
        }
    }
}
