using Holdfast.AspNetCore;
using Holdfast.Configuration;
using Holdfast.Faults;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>Runs a host the Holdfast way: configuration errors and failed start-ups become an exit code and one clear message.</summary>
public static class HoldfastHostExtensions
{
    /// <summary>
    /// Runs the host until it stops and returns the process exit code: 0 after a normal stop; 2 when configuration is
    /// invalid (the failed settings are listed on stderr, no stack trace); 3 or 4 when start-up failed (the diagnosis
    /// is already on stderr). Use it as <c>return await app.RunWithHoldfastAsync();</c>.
    /// </summary>
    /// <param name="host">The host (a WebApplication is one).</param>
    public static async Task<int> RunWithHoldfastAsync(this IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        try
        {
            await host.RunAsync().ConfigureAwait(false);
            return Environment.ExitCode;
        }
        catch (OptionsValidationException ex) when (ex.OptionsType == typeof(HoldfastOptions))
        {
            await Console.Error.WriteLineAsync("holdfast: the configuration is invalid:").ConfigureAwait(false);
            foreach (var failure in ex.Failures)
            {
                await Console.Error.WriteLineAsync($"  - {failure}").ConfigureAwait(false);
            }

            return Environment.ExitCode = ExitCodes.InvalidConfiguration;
        }
        catch (HoldfastConfigurationException ex)
        {
            await Console.Error.WriteLineAsync($"holdfast: {ex.Message}").ConfigureAwait(false);
            return Environment.ExitCode = ExitCodes.InvalidConfiguration;
        }
    }
}
