using Npgsql;

namespace Holdfast.Resilience;

/// <summary>
/// The application's password provider (an IAM token source, as Cloud SQL and RDS issue them, an hour long) behind a
/// cache: asked at most once per <see cref="HoldfastDataSourceOptions.PasswordRefreshInterval"/>, concurrent askers share
/// one call, and an authentication failure after a success makes the next connect ask again (<see cref="Refresh"/>): the
/// token may have expired or been revoked before its time. It is what Npgsql's <c>UsePasswordProvider</c> calls for every
/// physical connection of every pool Holdfast makes.
/// </summary>
internal sealed class PasswordCache(Func<CancellationToken, ValueTask<string>> provider, TimeSpan refreshInterval, TimeProvider time)
{
    /// <summary>How long after a refresh other callers failing on the old token may still try the new one.</summary>
    private static readonly TimeSpan Wave = TimeSpan.FromSeconds(5);

    private readonly Lock gate = new();
    private Task<string>? current;
    private long fetchedAt;
    private long refreshedAt;
    private int succeededSinceRefresh;

    /// <summary>The token for a new connection: the cached one while fresh, else the provider's next.</summary>
    public ValueTask<string> GetAsync(NpgsqlConnectionStringBuilder settings, CancellationToken cancellationToken)
    {
        Task<string> task;
        lock (gate)
        {
            if (current is null || current.IsFaulted || current.IsCanceled ||
                (current.IsCompleted && time.GetElapsedTime(fetchedAt) >= refreshInterval))
            {
                fetchedAt = time.GetTimestamp();
                current = FetchAsync();
            }

            task = current;
        }

        return task.IsCompletedSuccessfully ? new ValueTask<string>(task.Result) : new ValueTask<string>(task.WaitAsync(cancellationToken));
    }

    /// <summary>For Npgsql's synchronous opens.</summary>
    public string Get(NpgsqlConnectionStringBuilder settings) => GetAsync(settings, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <summary>A connection authenticated: a later rejection means the token changed under it, not that it was always wrong.</summary>
    public void OnSuccess() => Volatile.Write(ref succeededSinceRefresh, 1);

    /// <summary>
    /// After an authentication failure: true when the next attempt should ask the provider again — a connection succeeded
    /// since the last refresh (the token worked, so it may have expired), or a refresh just happened for a failure of the
    /// same wave (the provider is asked once per wave, however many callers fail together). False when no connection
    /// succeeded since the last refresh: the provider's latest token itself was refused, and that failure is permanent.
    /// </summary>
    public bool Refresh()
    {
        lock (gate)
        {
            if (refreshedAt != 0 && time.GetElapsedTime(refreshedAt) < Wave)
            {
                // Another failure of the same wave: the provider was already asked; try its token.
                return true;
            }

            if (Interlocked.Exchange(ref succeededSinceRefresh, 0) == 1)
            {
                refreshedAt = time.GetTimestamp();
                current = null;
                return true;
            }

            return false;
        }
    }

    private async Task<string> FetchAsync()
    {
        // Bounded: a provider that hangs must not hold every connect of the process.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30), time);
        return await provider(deadline.Token).ConfigureAwait(false);
    }
}
