using Holdfast.Resilience;
using Holdfast.Testing;
using Holdfast.Timeouts;

namespace Holdfast.Tests.Resilience;

/// <summary>Guarded data sources on short timeouts, so fault tests take seconds, not the real profiles' minutes.</summary>
internal static class GuardedSources
{
    /// <summary>Initialization 10 s, connection 2 s, pool 3 s, table setup 2 s, health check 1 s.</summary>
    public static readonly TimeoutProfile Short = TimeoutProfile.Seconds(10, 2, 3, 2, 1);

    public static HoldfastDataSource Create(LocalPostgres postgres, string applicationName, int? port = null, string? password = null,
        Action<HoldfastDataSourceOptions>? configure = null)
    {
        var url = $"postgres://{Uri.EscapeDataString(postgres.Username)}:{Uri.EscapeDataString(password ?? postgres.Password)}" +
                  $"@{postgres.Host}:{port ?? postgres.Port}/{postgres.Database}?application_name={applicationName}";
        return new HoldfastDataSourceBuilder(url)
            .UseTimeouts(HoldfastTimeouts.For(HoldfastEnvironment.Test, Short))
            .Configure(options =>
            {
                options.Name = applicationName;
                options.AttemptTimeout.FirstAttempt = TimeSpan.FromMilliseconds(500);
                options.Retry.BaseDelay = TimeSpan.FromMilliseconds(50);
                options.Retry.MaxDelay = TimeSpan.FromMilliseconds(400);
                configure?.Invoke(options);
            })
            .Build();
    }

    public static string NewApplicationName(string purpose) => $"hf-{purpose}-{Guid.NewGuid().ToString("N")[..8]}";
}
