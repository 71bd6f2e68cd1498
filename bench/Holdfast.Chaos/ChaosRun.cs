using Holdfast.Testing;

namespace Holdfast.Chaos;

/// <summary>Runs one fault against the service under load and measures it.</summary>
internal sealed class ChaosRun(LocalPostgres postgres, FaultProxy proxy, ServiceUnderTest service, ChaosSettings settings)
{
    private const string ApplicationName = "reference-service";

    public async Task<FaultResult> RunAsync(Fault fault, string email, string password)
    {
        var limit = settings.Warmup + settings.Duration + settings.RecoveryLimit + TimeSpan.FromSeconds(30);
        await using var load = ServiceLoad.Start(service.Address, email, password, settings.Concurrency, limit);
        await Task.Delay(settings.Warmup).ConfigureAwait(false);

        var before = await ConnectionsAsync().ConfigureAwait(false) ?? 0;
        var rssBefore = service.RssMiB;
        using var sampling = new CancellationTokenSource();
        var peak = SamplePeakAsync(before, sampling.Token);

        var faultAt = load.Now;
        await fault.RunAsync(postgres, proxy, settings.Duration).ConfigureAwait(false);
        var healedAt = load.Now;
        var recovered = await load.FirstSuccessAfterAsync(healedAt, settings.RecoveryLimit).ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        await load.StopAsync().ConfigureAwait(false);
        await sampling.CancelAsync().ConfigureAwait(false);
        var (after, settled) = await SettleAsync(before).ConfigureAwait(false);

        var during = load.During(faultAt, healedAt);
        var affected = load.During(faultAt, recovered ?? load.Now);
        var all = load.Requests;
        var latencies = during.Select(r => r.Duration.TotalMilliseconds).Order().ToList();
        return new FaultResult(
            fault.Name,
            Round((healedAt - faultAt).TotalSeconds),
            affected.Count,
            affected.GroupBy(r => r.Status == 0 ? "none" : r.Status.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            load.FirstEnd(r => r.Status == 503 && r.End >= faultAt) is { } first503 ? Round((first503 - faultAt).TotalSeconds) : null,
            Round(Percentile(latencies, 0.50)),
            Round(Percentile(latencies, 0.99)),
            Round(latencies.Count == 0 ? 0 : latencies[^1]),
            recovered is { } at ? Round((at - healedAt).TotalSeconds) : null,
            all.Count(r => r.Status >= 500 && r.Status != 503),
            all.Count(r => r.Status == 0),
            all.Count(r => r.Status == 503 && r.RetryAfter is null),
            before,
            await peak.ConfigureAwait(false),
            after,
            Round(settled.TotalSeconds),
            Round(rssBefore),
            Round(service.RssMiB));
    }

    private async Task<int> SamplePeakAsync(int before, CancellationToken cancellationToken)
    {
        var peak = before;
        while (!cancellationToken.IsCancellationRequested)
        {
            peak = Math.Max(peak, await ConnectionsAsync().ConfigureAwait(false) ?? 0);
            try
            {
                await Task.Delay(250, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return peak;
    }

    /// <summary>
    /// Waits until the service's server connections are back to the count before the fault, give or take two (the pool
    /// under load varies by one or two), or the limit; the count and how long it took.
    /// </summary>
    private async Task<(int After, TimeSpan Took)> SettleAsync(int before)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var count = await ConnectionsAsync().ConfigureAwait(false) ?? 0;
        while (count > before + 2 && watch.Elapsed < settings.SettleLimit)
        {
            await Task.Delay(500).ConfigureAwait(false);
            count = await ConnectionsAsync().ConfigureAwait(false) ?? count;
        }

        return (count, watch.Elapsed);
    }

    private async Task<int?> ConnectionsAsync()
    {
        try
        {
            // The service's pool, its health probes and its recovery probes; not its admin connections.
            return await postgres.ScalarAsync<int>(
                $"SELECT count(*)::int FROM pg_stat_activity WHERE application_name IN ('{ApplicationName}', '{ApplicationName}-health')").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException)
        {
            return null;
        }
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static double Round(double value) => Math.Round(value, 3);
}
