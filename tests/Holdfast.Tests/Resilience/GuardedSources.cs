using Holdfast.Testing;
using Holdfast.Timeouts;
using Npgsql;

namespace Holdfast.Tests.Resilience;

/// <summary>Guarded data sources on short timeouts, so fault tests take seconds, not the real profiles' minutes.</summary>
internal static class GuardedSources
{
    /// <summary>Initialization 10 s, connection 2 s, pool 3 s, table setup 2 s, health check 1 s.</summary>
    public static readonly TimeoutProfile Short = TimeoutProfile.Seconds(10, 2, 3, 2, 1);

    public static HoldfastDataSource Create(LocalPostgres postgres, string applicationName, int? port = null, string? password = null,
        Action<HoldfastDataSourceOptions>? configure = null, Action<NpgsqlConnectionStringBuilder>? npgsql = null)
    {
        var url = $"postgres://{Uri.EscapeDataString(postgres.Username)}:{Uri.EscapeDataString(password ?? postgres.Password)}" +
                  $"@{postgres.Host}:{port ?? postgres.Port}/{postgres.Database}?application_name={applicationName}";
        return CreateFromUrl(url, applicationName, configure, npgsql);
    }

    /// <summary>A guarded source on the short profile for any URL (several hosts, a pooler in front).</summary>
    public static HoldfastDataSource CreateFromUrl(string url, string applicationName, Action<HoldfastDataSourceOptions>? configure = null,
        Action<NpgsqlConnectionStringBuilder>? npgsql = null)
    {
        var builder = new HoldfastDataSourceBuilder(url);
        npgsql?.Invoke(builder.Npgsql.ConnectionStringBuilder);
        return builder
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

    /// <summary>
    /// Nothing leaked: no connection is still rented from the pool (read from Npgsql's metrics), and once the data source
    /// is disposed, the server has no connection left under its application name (its baseline, zero). Npgsql cannot
    /// cancel a physical open during start-up or authentication, so a connect abandoned at its attempt deadline holds
    /// its pool slot until Npgsql's own Timeout (3 s on the short profile): the pool is given that long to drain.
    /// </summary>
    public static async Task AssertNothingLeakedAsync(HoldfastDataSource db, LocalPostgres server, string applicationName)
    {
        await EventuallyAsync(() => Task.FromResult(db.PoolUsage.Busy == 0), TimeSpan.FromSeconds(6), () => $"pool still busy: {db.PoolUsage}");
        await db.DisposeAsync();
        await EventuallyAsync(async () => await server.CountConnectionsAsync(applicationName, TestContext.Current.CancellationToken) == 0, TimeSpan.FromSeconds(5),
            () => $"server connections left under {applicationName}");
    }

    public static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan within, Func<string> failure)
    {
        var deadline = DateTime.UtcNow + within;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure());
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public static async ValueTask<int> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
