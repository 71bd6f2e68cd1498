using System.Net;
using System.Net.Sockets;
using Holdfast;
using Holdfast.AspNetCore;
using Holdfast.Faults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
            // Before the host starts: a configuration it cannot honour and an address it cannot listen on end here with
            // one line, not in the host's "Hosting failed to start" log with its stack trace.
            _ = host.Services.GetService<IOptions<HoldfastOptions>>()?.Value;
            _ = host.Services.GetService<HoldfastDataSource>();
            var configuration = host.Services.GetService<IConfiguration>();
            var kestrelEndpoints = configuration?.GetSection("Kestrel:Endpoints").Exists() == true;
            var server = host.Services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>() is not null;
            if (server && !kestrelEndpoints && BusyAddress(configuration?["urls"]) is { } busy)
            {
                return await AddressInUseAsync(busy).ConfigureAwait(false);
            }

            await host.RunAsync().ConfigureAwait(false);
            return Environment.ExitCode;
        }
        catch (IOException ex) when (FindAddressInUse(ex))
        {
            // Taken between the check and the start.
            return await AddressInUseAsync(ex.Message).ConfigureAwait(false);
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

    private static async Task<int> AddressInUseAsync(string address)
    {
        await Console.Error.WriteLineAsync(
            $"holdfast: cannot listen on {address}: the address is already in use. Fix: stop the process that holds it, or set PORT " +
            "(or ASPNETCORE_URLS) to a free port").ConfigureAwait(false);
        return Environment.ExitCode = ExitCodes.InvalidConfiguration;
    }

    private static bool FindAddressInUse(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } ||
                current.GetType().Name == "AddressInUseException")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first configured <c>http://host:port</c> another process already listens on, or null.</summary>
    private static string? BusyAddress(string? urls)
    {
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var normalized = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
            if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || uri.Port <= 0)
            {
                continue;
            }

            var address = uri.Host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? ip : null;
            if (address is null)
            {
                continue;
            }

            try
            {
                using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                probe.Bind(new IPEndPoint(address, uri.Port));
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                return url;
            }
            catch (SocketException)
            {
                // Not bindable for another reason (no such interface): Kestrel will say.
            }
        }

        return null;
    }
}
