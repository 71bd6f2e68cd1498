using Holdfast.Resilience;
using Holdfast.Topology;
using Npgsql;

namespace Holdfast;

public sealed partial class HoldfastDataSource
{
    /// <summary>How long the one-time pooler detection may take.</summary>
    private static readonly TimeSpan PoolerDetectionTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The suffix of the application name the pooler check's connections carry.</summary>
    internal const string PoolerCheckSuffix = "-pooler-check";

    /// <summary>How long after a failed detection the next may start.</summary>
    private static readonly TimeSpan PoolerRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>How long a replaced Npgsql source lives on, so opens already under way on it finish.</summary>
    private static readonly TimeSpan RetireDelay = TimeSpan.FromSeconds(5);

    private readonly Lock swapGate = new();
    private Task<PoolerInfo>? poolerCheck;
    private Task poolerCheckRun = Task.CompletedTask;
    private Task retiring = Task.CompletedTask;
    private long nextPoolerCheckAt;
    private PoolerInfo? pooler;

    /// <summary>
    /// The pooler between this service and PostgreSQL, once known: declared by <see cref="HoldfastDataSourceOptions.Pooler"/>,
    /// or detected after the first successful open (<see cref="PoolerMode.Auto"/>). Null until then.
    /// </summary>
    public PoolerInfo? Pooler => Volatile.Read(ref pooler);

    /// <summary>
    /// Detects the pooler now (once; later calls return the same answer) and adapts to it: under transaction or statement
    /// pooling, or a pooler whose mode cannot be told, Npgsql's automatic preparation (<c>Max Auto Prepare</c>) and its
    /// reset on close (<c>DISCARD ALL</c>) are turned off, since both act on whichever server connection the pooler lends.
    /// The start-up's database phase awaits this, so a service is adapted before it is Ready. With
    /// <see cref="PoolerMode.None"/> nothing is looked for.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the detection itself goes on).</param>
    public Task<PoolerInfo> DetectPoolerAsync(CancellationToken cancellationToken = default) => options.Pooler switch
    {
        PoolerMode.None => Task.FromResult(Volatile.Read(ref pooler) ?? PoolerInfo.NotPresent("Holdfast:Pooler:Mode is None: not looked for")),
        PoolerMode.Session or PoolerMode.Transaction => Task.FromResult(Volatile.Read(ref pooler)!),
        _ => EnsurePoolerCheck().WaitAsync(cancellationToken),
    };

    /// <summary>Declared modes are applied before the Npgsql data source is built: no detection, no rebuild.</summary>
    private static PoolerInfo? ApplyDeclaredPooler(PoolerMode mode, NpgsqlConnectionStringBuilder settings)
    {
        switch (mode)
        {
            case PoolerMode.Transaction:
                AdaptSettings(settings);
                return new PoolerInfo(present: true, null, null, PoolingMode.Transaction, "declared by Holdfast:Pooler:Mode");
            case PoolerMode.Session:
                return new PoolerInfo(present: true, null, null, PoolingMode.Session, "declared by Holdfast:Pooler:Mode");
            default:
                return null;
        }
    }

    /// <summary>
    /// Turns off what acts on a lent server connection; true when anything changed. Automatic preparation goes whenever
    /// server connections may be shared; the reset on close only when they are known to be (with the mode unknown, a
    /// session pooler's state must still be reset between rentals).
    /// </summary>
    private static bool AdaptSettings(NpgsqlConnectionStringBuilder settings, bool keepReset = false)
    {
        var changed = settings.MaxAutoPrepare != 0 || (!keepReset && !settings.NoResetOnClose);
        settings.MaxAutoPrepare = 0;
        if (!keepReset)
        {
            settings.NoResetOnClose = true;
        }

        return changed;
    }

    /// <summary>After a successful open: starts the detection when the mode is Auto and none is known or due (a few volatile reads).</summary>
    private void OnOpened()
    {
        if (options.Pooler == PoolerMode.Auto && Volatile.Read(ref poolerCheck) is null && Volatile.Read(ref disposed) == 0 &&
            time.GetTimestamp() >= Interlocked.Read(ref nextPoolerCheckAt))
        {
            _ = EnsurePoolerCheck();
        }
    }

    private Task<PoolerInfo> EnsurePoolerCheck()
    {
        if (Volatile.Read(ref poolerCheck) is { } running)
        {
            return running;
        }

        var check = new TaskCompletionSource<PoolerInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref poolerCheck, check.Task, null) is { } other)
        {
            return other;
        }

        lock (swapGate)
        {
            poolerCheckRun = Task.Run(() => RunPoolerCheckAsync(check));
        }

        return check.Task;
    }

    private async Task RunPoolerCheckAsync(TaskCompletionSource<PoolerInfo> check)
    {
        try
        {
            // Its own application name: the check's connections are told apart from the pool's in pg_stat_activity.
            var settings = new NpgsqlConnectionStringBuilder(innerConnectionString);
            settings.ApplicationName += PoolerCheckSuffix;
            var info = await PoolerDetector.DetectAsync(settings.ConnectionString, PoolerDetectionTimeout, NpgsqlHook, lifetime.Token)
                .ConfigureAwait(false);
            AdaptTo(info);
            Volatile.Write(ref pooler, info);
            check.TrySetResult(info);
        }
#pragma warning disable CA1031 // A failed detection is tried again later; callers who wait see why.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // The waiters first: nothing below may leave them hanging.
            check.TrySetException(ex);
            _ = check.Task.Exception;
            Interlocked.Exchange(ref nextPoolerCheckAt, time.GetTimestamp() + (long)(PoolerRetryDelay.TotalSeconds * time.TimestampFrequency));
            Volatile.Write(ref poolerCheck, null);
            if (!lifetime.IsCancellationRequested)
            {
                Log.PoolerDetectionFailed(logger, Name, ex.GetType().Name, ex.Message);
            }
        }
    }

    /// <summary>
    /// Under a pooler that lends server connections per transaction, rebuilds Npgsql's data source without automatic
    /// preparation and reset on close. The old one is cleared at once (its idle connections close; rented ones close
    /// when returned) and disposed a little later, when opens already under way on it have finished. Only
    /// <see cref="Inner"/> read after this point is the new one.
    /// </summary>
    private void AdaptTo(PoolerInfo info)
    {
        if (!info.Present)
        {
            Log.NoPooler(logger, Name, info.Evidence);
            return;
        }

        if (info.Mode == PoolingMode.Session)
        {
            Log.PoolerFound(logger, Name, info.ToString(), "nothing to change", info.Evidence);
            return;
        }

        NpgsqlDataSource replaced;
        string before;
        lock (swapGate)
        {
            if (Volatile.Read(ref disposed) != 0)
            {
                return;
            }

            var settings = npgsqlBuilder.ConnectionStringBuilder;
            var (autoPrepare, noReset) = (settings.MaxAutoPrepare, settings.NoResetOnClose);
            before = $"Max Auto Prepare={autoPrepare}, No Reset On Close={noReset}";
            if (!AdaptSettings(settings, keepReset: info.Mode == PoolingMode.Unknown))
            {
                Log.PoolerFound(logger, Name, info.ToString(), "automatic preparation and reset on close are already off", info.Evidence);
                return;
            }

            NpgsqlDataSource rebuilt;
            try
            {
                // The builder is the user's too: build under this data source's own name.
                npgsqlBuilder.Name = Name;
                rebuilt = npgsqlBuilder.Build();
            }
            catch
            {
                (settings.MaxAutoPrepare, settings.NoResetOnClose) = (autoPrepare, noReset);
                throw;
            }

            replaced = Interlocked.Exchange(ref inner, rebuilt);
            retiring = RetireAsync(replaced, retiring);
        }

        replaced.Clear();
        Log.PoolerFound(logger, Name, info.ToString(),
            info.Mode == PoolingMode.Unknown
                ? $"turned off automatic preparation (was {before}); the reset on close stays, the mode being unknown; set Holdfast:Pooler:Mode to say which"
                : $"turned off automatic preparation and reset on close (was {before}); set Holdfast:Pooler:Mode=None to keep them",
            info.Evidence);
    }

    /// <summary>Disposes a replaced source once opens already under way on it have had time to finish (or at once on dispose).</summary>
    private async Task RetireAsync(NpgsqlDataSource replaced, Task previous)
    {
        await previous.ConfigureAwait(false);
        try
        {
            await Task.Delay(RetireDelay, time, lifetime.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Disposing: retire it now.
        }

        await replaced.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Waits for the pooler check and a retiring source, so nothing is built or left behind after dispose.</summary>
    private async ValueTask StopPoolerWorkAsync()
    {
        Task run;
        lock (swapGate)
        {
            run = poolerCheckRun;
        }

        await run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Task retire;
        lock (swapGate)
        {
            retire = retiring;
        }

        await retire.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
