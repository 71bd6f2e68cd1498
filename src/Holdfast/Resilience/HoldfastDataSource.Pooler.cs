using Holdfast.Topology;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Holdfast.Resilience;

public sealed partial class HoldfastDataSource
{
    /// <summary>How long the one-time pooler detection may take.</summary>
    private static readonly TimeSpan PoolerDetectionTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The suffix of the application name the pooler check's connections carry.</summary>
    public const string PoolerCheckSuffix = "-pooler-check";

    private readonly List<NpgsqlDataSource> retired = [];
    private Task<PoolerInfo>? poolerCheck;
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

    /// <summary>Turns off what acts on a lent server connection; true when anything changed.</summary>
    private static bool AdaptSettings(NpgsqlConnectionStringBuilder settings)
    {
        var changed = settings.MaxAutoPrepare != 0 || !settings.NoResetOnClose;
        settings.MaxAutoPrepare = 0;
        settings.NoResetOnClose = true;
        return changed;
    }

    /// <summary>After a successful open: starts the one-time detection when the mode is Auto (two volatile reads otherwise).</summary>
    private void OnOpened()
    {
        if (options.Pooler == PoolerMode.Auto && Volatile.Read(ref poolerCheck) is null)
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

        _ = Task.Run(() => RunPoolerCheckAsync(check));
        return check.Task;
    }

    private async Task RunPoolerCheckAsync(TaskCompletionSource<PoolerInfo> check)
    {
        try
        {
            // Its own application name: the check's connections are told apart from the pool's in pg_stat_activity.
            var settings = new NpgsqlConnectionStringBuilder(npgsqlBuilder.ConnectionStringBuilder.ConnectionString);
            settings.ApplicationName += PoolerCheckSuffix;
            var info = await PoolerDetector.DetectAsync(settings.ConnectionString, PoolerDetectionTimeout, lifetime.Token).ConfigureAwait(false);
            AdaptTo(info);
            Volatile.Write(ref pooler, info);
            check.SetResult(info);
        }
#pragma warning disable CA1031 // A failed detection is retried after the next successful open; callers who wait see why.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Volatile.Write(ref poolerCheck, null);
            Log.PoolerDetectionFailed(logger, Name, ex.GetType().Name, ex.Message);
            check.SetException(ex);
            _ = check.Task.Exception;
        }
    }

    /// <summary>
    /// Under a pooler that lends server connections per transaction, rebuilds Npgsql's data source without automatic
    /// preparation and reset on close. The old one is cleared (its idle connections close; rented ones close when returned)
    /// and disposed with this data source. Only <see cref="Inner"/> read after this point is the new one.
    /// </summary>
    private void AdaptTo(PoolerInfo info)
    {
        if (!info.SharesServerConnections)
        {
            Log.PoolerFound(logger, Name, info.ToString(), "nothing to change", info.Evidence);
            return;
        }

        var settings = npgsqlBuilder.ConnectionStringBuilder;
        var before = $"Max Auto Prepare={settings.MaxAutoPrepare}, No Reset On Close={settings.NoResetOnClose}";
        if (!AdaptSettings(settings))
        {
            Log.PoolerFound(logger, Name, info.ToString(), "automatic preparation and reset on close are already off", info.Evidence);
            return;
        }

        var replaced = Interlocked.Exchange(ref inner, npgsqlBuilder.Build());
        replaced.Clear();
        lock (retired)
        {
            retired.Add(replaced);
        }

        Log.PoolerFound(logger, Name, info.ToString(),
            $"turned off automatic preparation and reset on close (was {before}); set Holdfast:Pooler:Mode=None to keep them", info.Evidence);
    }

    private async ValueTask DisposeRetiredAsync()
    {
        NpgsqlDataSource[] sources;
        lock (retired)
        {
            sources = [.. retired];
            retired.Clear();
        }

        foreach (var source in sources)
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }
    }
}
