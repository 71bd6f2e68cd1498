using System.Diagnostics;
using Holdfast.Telemetry;

namespace Holdfast;

public sealed partial class HoldfastDataSource
{
    /// <summary>
    /// A guarded call inside a span of its own (see <see cref="HoldfastTracing"/>): started only when something listens to
    /// the source, current while the call runs (so Npgsql's spans are its children), ended with the call's outcome. Its name
    /// is the pipeline's key: <c>holdfast.open</c> or <c>holdfast.execute</c>.
    /// </summary>
    private async ValueTask<T> TracedAsync<TState, T>(string name, TState state, Func<TState, ValueTask<T>> call)
    {
        using var activity = HoldfastTracing.Source.StartActivity(name, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("db.system.name", "postgresql");
            activity.SetTag(HoldfastInstruments.PoolNameTag, Name);
            activity.SetTag(HoldfastInstruments.DataSourceTag, Name);
        }

        try
        {
            return await call(state).ConfigureAwait(false);
        }
        catch (Exception ex) when (activity is not null)
        {
            var kind = ex switch
            {
                DatabaseUnavailableException => "circuit_open",
                DatabaseConnectionException failed => HoldfastInstruments.KindTag(failed.Failure.Kind),
                _ => null,
            };
            if (ex is not OperationCanceledException)
            {
                activity.SetStatus(ActivityStatusCode.Error, kind ?? ex.GetType().Name);
            }

            activity.SetTag("error.type", kind ?? ex.GetType().FullName);
            if (kind is not null)
            {
                activity.SetTag(HoldfastInstruments.FailureKindTag, kind);
            }

            if (ex is DatabaseConnectionException { Attempts: var attempts } and not DatabaseUnavailableException)
            {
                activity.SetTag("holdfast.attempts", attempts);
            }

            throw;
        }
    }
}
