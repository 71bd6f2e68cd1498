using Npgsql;

namespace Holdfast.AspNetCore;

/// <summary>
/// The admin data source: its own small pool and its own application name (<c>{app}-admin</c>), for schema set-up and
/// migrations, so they never compete with request traffic and are told apart in <c>pg_stat_activity</c>.
/// </summary>
public sealed class HoldfastAdminDataSource : IAsyncDisposable
{
    internal HoldfastAdminDataSource(NpgsqlDataSource dataSource) => DataSource = dataSource;

    /// <summary>The Npgsql data source.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
