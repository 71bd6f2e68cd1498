using Holdfast.Resilience;
using Npgsql;

namespace Holdfast;

public sealed partial class HoldfastDataSource
{
    /// <summary>One real connect and <c>SELECT 1</c> on a new, unpooled connection, outside the guard.</summary>
    /// <param name="cancellationToken">Cancels it.</param>
    internal async Task ProbeAsync(CancellationToken cancellationToken)
    {
        // A multi-host endpoint: look at every host afresh, so a standby promoted a moment ago is found.
        ForgetHostStates(probeSource);
        // Its connect counts among this instance's paced attempts, with the pool's and the health probe's.
        var lease = guard.Pacer is { } pacer ? await pacer.EnterAsync(cancellationToken).ConfigureAwait(false) : ConnectPacer.Lease.None;
        var answered = false;
        try
        {
            await using var connection = await probeSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            answered = true;
        }
        finally
        {
            lease.Release(answered);
        }

        ForgetHostStates(Inner);
    }

    /// <summary>
    /// Spreads a fleet's recycling: the pool's connection lifetime, idle lifetime and pruning interval each get ±10 %
    /// (whole seconds, as Npgsql takes them), so instances started together do not close and reopen in step.
    /// </summary>
    internal static void JitterLifetimes(NpgsqlConnectionStringBuilder settings, Func<double> random)
    {
        static int Jitter(int seconds, Func<double> random) =>
            seconds <= 0 ? seconds : Math.Max(1, (int)Math.Round(seconds * (0.9 + (0.2 * random()))));

        settings.ConnectionLifetime = Jitter(settings.ConnectionLifetime, random);
        settings.ConnectionIdleLifetime = Jitter(settings.ConnectionIdleLifetime, random);
        // Pruning must stay below the idle lifetime, which Npgsql checks.
        settings.ConnectionPruningInterval = Math.Min(Jitter(settings.ConnectionPruningInterval, random),
            settings.ConnectionIdleLifetime > 1 ? settings.ConnectionIdleLifetime - 1 : settings.ConnectionPruningInterval);
    }
}
