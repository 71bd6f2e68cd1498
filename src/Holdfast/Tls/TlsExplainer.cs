namespace Holdfast.Tls;

/// <summary>
/// Explains Npgsql's bare "certificate rejected" with a handshake of Holdfast's own (<see cref="TlsInspector"/>). Any number
/// of callers failing at once share one handshake, and its answer for a few seconds, so a fleet of callers meeting a bad
/// certificate costs the server one extra handshake, not one each.
/// </summary>
internal sealed class TlsExplainer(DatabaseEndpoint endpoint, TimeProvider time)
{
    private static readonly TimeSpan Reuse = TimeSpan.FromSeconds(10);
    private readonly Lock gate = new();
    private Task<TlsObservation?>? inspection;
    private long inspectedAt;

    /// <summary>
    /// <paramref name="rejection"/> wrapped in a <see cref="TlsCertificateException"/> that says what was wrong, or unchanged
    /// when the handshake could not be made within <paramref name="cancellationToken"/>.
    /// </summary>
    public async Task<Exception> ExplainAsync(Exception rejection, CancellationToken cancellationToken)
    {
        try
        {
            var observation = await Inspection().WaitAsync(cancellationToken).ConfigureAwait(false);
            return observation is null ? rejection : new TlsCertificateException(observation, rejection);
        }
#pragma warning disable CA1031 // An explanation that fails leaves the failure as it was.
        catch (Exception)
#pragma warning restore CA1031
        {
            return rejection;
        }
    }

    private Task<TlsObservation?> Inspection()
    {
        lock (gate)
        {
            // A failed look is kept for the reuse period too: a server that cannot be looked at costs one handshake per period.
            if (inspection is null || (inspection.IsCompleted && time.GetElapsedTime(inspectedAt) > Reuse))
            {
                inspectedAt = time.GetTimestamp();
                inspection = InspectAsync();
            }

            return inspection;
        }
    }

    private async Task<TlsObservation?> InspectAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10), time);
        return await TlsInspector.InspectAsync(endpoint, time, deadline.Token).ConfigureAwait(false);
    }
}
