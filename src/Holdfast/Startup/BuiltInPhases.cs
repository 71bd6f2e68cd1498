using Npgsql;

namespace Holdfast.Startup;

/// <summary>Checks the configuration the data source was built from: the timeouts keep their rules and floors.</summary>
internal sealed class ConfigurationPhase : IStartupPhase
{
    public string Name => "configuration";

    public StartupPhaseKind Kind => StartupPhaseKind.Configuration;

    public ValueTask RunAsync(StartupPhaseContext context, CancellationToken cancellationToken)
    {
        var problems = context.Timeouts.Validate();
        return problems.Count == 0 ? ValueTask.CompletedTask : throw new HoldfastConfigurationException(problems);
    }
}

/// <summary>
/// Reaches the database within the initialization budget: guarded opens, each retrying transient failures. When the
/// circuit opens, a failure the bypass policy would let pass ends the phase at once (the service starts degraded and
/// recovers in the background); otherwise the phase keeps trying, following the recovery probe, until its budget ends.
/// </summary>
internal sealed class DatabasePhase : IStartupPhase
{
    private static readonly TimeSpan MaxPoll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinPoll = TimeSpan.FromMilliseconds(100);

    public string Name => "database";

    public StartupPhaseKind Kind => StartupPhaseKind.Database;

    public async ValueTask RunAsync(StartupPhaseContext context, CancellationToken cancellationToken)
    {
        var started = context.Time.GetTimestamp();
        DatabaseConnectionException? last = null;
        while (true)
        {
            var remaining = context.Budget - context.Time.GetElapsedTime(started);
            try
            {
                if (remaining <= TimeSpan.Zero)
                {
                    throw (Exception?)last ?? new TimeoutException("The initialization budget ended before the database answered.");
                }

                await using var connection = await context.DataSource.OpenConnectionAsync(remaining, cancellationToken).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                await AdaptToPoolerAsync(context, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (DatabaseUnavailableException unavailable) when (!cancellationToken.IsCancellationRequested)
            {
                last = unavailable;
                if (context.BypassAllows(unavailable.Failure.Kind))
                {
                    throw;
                }

                var wait = unavailable.RetryAfter < MinPoll ? MinPoll : unavailable.RetryAfter > MaxPoll ? MaxPoll : unavailable.RetryAfter;
                await WaitAsync(wait, context, last, cancellationToken).ConfigureAwait(false);
            }
            catch (DatabaseConnectionException transient) when (transient.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                last = transient;
            }
            catch (OperationCanceledException) when (last is not null)
            {
                throw last;
            }
        }
    }

    /// <summary>
    /// A pooler in front is found (and adapted to) before the service is ready, so no request runs with settings that
    /// break under it. A detection that fails does not fail the start: it is logged and tried again later.
    /// </summary>
    private static async Task AdaptToPoolerAsync(StartupPhaseContext context, CancellationToken cancellationToken)
    {
        try
        {
            await context.DataSource.DetectPoolerAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Logged by the data source.
        }
    }

    private static async Task WaitAsync(TimeSpan wait, StartupPhaseContext context, Exception last, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(wait, context.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw last;
        }
    }
}

/// <summary>A last check, within the health-check timeout, that the database answers.</summary>
internal sealed class HealthPhase : IStartupPhase
{
    public string Name => "health";

    public StartupPhaseKind Kind => StartupPhaseKind.Health;

    public async ValueTask RunAsync(StartupPhaseContext context, CancellationToken cancellationToken)
    {
        await using var connection = await context.DataSource.OpenConnectionAsync(context.Budget, cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }
}
