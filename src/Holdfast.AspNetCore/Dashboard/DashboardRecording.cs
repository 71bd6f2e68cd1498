using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Holdfast.AspNetCore.Dashboard;

/// <summary>Whether the dashboard was mapped: then its recorder starts with the host.</summary>
internal sealed class DashboardRegistration
{
    private int mapped;

    public bool Mapped => Volatile.Read(ref mapped) == 1;

    public void MarkMapped() => Volatile.Write(ref mapped, 1);
}

/// <summary>
/// Starts the dashboard's recorder when the host starts, before the start-up phases, so their connects are in the series.
/// Not when mapping: resolving the data source there would validate the options outside <c>RunWithHoldfastAsync</c>, and
/// an invalid setting would crash the process instead of exiting 2 with its name.
/// </summary>
internal sealed class DashboardRecordingService(DashboardRegistration registration, IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (registration.Mapped)
        {
            services.GetRequiredService<ConnectivityRecorder>().Start();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
