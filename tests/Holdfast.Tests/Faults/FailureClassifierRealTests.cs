using System.Net;
using System.Net.Sockets;
using Holdfast.Testing;
using Npgsql;

namespace Holdfast.Tests.Faults;

/// <summary>Every kind a real server or the fault proxy can produce, produced for real and classified.</summary>
public sealed class FailureClassifierRealTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WrongPassword_IsAuthenticationFailed_Permanent()
    {
        var endpoint = Endpoint($"postgres://{postgres.Username}:wrong-cr3t@{postgres.Host}:{postgres.Port}/{postgres.Database}");

        var failure = await OpenFailureAsync(endpoint);

        Assert.Equal(FailureKind.AuthenticationFailed, failure.Kind);
        Assert.Equal("28P01", failure.SqlState);
        Assert.True(failure.IsPermanent);
        Assert.Equal(4, failure.ExitCode);
        Assert.DoesNotContain("wrong-cr3t", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingDatabase_IsDatabaseMissing_Permanent()
    {
        var endpoint = Endpoint(Url(database: "no_such_db"));

        var failure = await OpenFailureAsync(endpoint);

        Assert.Equal(FailureKind.DatabaseMissing, failure.Kind);
        Assert.Equal("3D000", failure.SqlState);
        Assert.Contains("'no_such_db' does not exist", failure.Diagnosis, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClosedPort_IsRefused_Transient()
    {
        var endpoint = Endpoint(Url(port: ClosedPort()));

        var failure = await OpenFailureAsync(endpoint);

        Assert.Equal(FailureKind.Refused, failure.Kind);
        Assert.True(failure.IsTransient);
    }

    [Fact]
    public async Task MissingSocketDirectory_IsSocketMissing()
    {
        var directory = Path.Combine(Path.GetTempPath(), "holdfast-missing-" + Guid.NewGuid().ToString("N"));
        var endpoint = Endpoint($"postgres://{postgres.Username}@/{postgres.Database}?host={directory}");

        var failure = await OpenFailureAsync(endpoint);

        Assert.Equal(FailureKind.SocketMissing, failure.Kind);
        Assert.Contains($"The socket directory {directory} does not exist", failure.Diagnosis, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingCloudSqlSocket_IsSocketMissing_WithCloudSqlFix()
    {
        var endpoint = Endpoint($"postgres://{postgres.Username}@/{postgres.Database}?host=/cloudsql/holdfast-test:us-central1:missing");

        var failure = await OpenFailureAsync(endpoint);

        Assert.Equal(FailureKind.SocketMissing, failure.Kind);
        Assert.Contains("--add-cloudsql-instances", failure.Diagnosis, StringComparison.Ordinal);
        Assert.Contains("holdfast-test:us-central1:missing", failure.Diagnosis, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SocketDirectoryWithoutSocketFile_IsSocketMissing()
    {
        var endpoint = Endpoint($"postgres://{postgres.Username}@/{postgres.Database}?host={postgres.SocketDirectory}&port={ClosedPort()}");

        var failure = await OpenFailureAsync(endpoint);

        Assert.Equal(FailureKind.SocketMissing, failure.Kind);
        Assert.Contains("has no socket file", failure.Diagnosis, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BlackholedPath_IsTimeout()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.Blackhole();
        var endpoint = Endpoint(Url(port: proxy.Port) + "?connect_timeout=1");

        var failure = await OpenFailureAsync(endpoint);

        Assert.Equal(FailureKind.Timeout, failure.Kind);
        Assert.True(failure.IsTransient);
    }

    [Fact]
    public async Task ResetByProxy_IsReset()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.Reset();
        var endpoint = Endpoint(Url(port: proxy.Port));

        var failure = await OpenFailureAsync(endpoint);

        Assert.Equal(FailureKind.Reset, failure.Kind);
    }

    [Fact]
    public async Task OpenConnectionResetMidQuery_IsReset()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        var endpoint = Endpoint(Url(port: proxy.Port));
        await using var dataSource = endpoint.CreateDataSourceBuilder().Build();
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        proxy.ResetOpenConnections();

        var failure = await FailureAsync(() => Scalar(connection, "SELECT 1"), endpoint, FailureOperation.Command);

        Assert.Equal(FailureKind.Reset, failure.Kind);
    }

    [Fact]
    public async Task SlotsHeld_IsTooManyConnections()
    {
        await using var small = await LocalPostgres.CreateAsync(new LocalPostgresOptions { MaxConnections = 3, SuperuserReservedConnections = 1 }, Ct);
        var builder = small.CreateConnectionStringBuilder();
        builder.Pooling = false;
        await using var first = new NpgsqlConnection(builder.ConnectionString);
        await using var second = new NpgsqlConnection(builder.ConnectionString);
        await first.OpenAsync(Ct);
        await second.OpenAsync(Ct);

        var failure = await FailureAsync(async () =>
        {
            await using var third = new NpgsqlConnection(builder.ConnectionString);
            await third.OpenAsync(Ct);
        }, Endpoint(small.DatabaseUrl), FailureOperation.Connect);

        Assert.Equal(FailureKind.TooManyConnections, failure.Kind);
        Assert.Equal("53300", failure.SqlState);
        Assert.True(failure.IsTransient);
    }

    [Fact]
    public async Task TerminatedBackend_IsServerShuttingDown()
    {
        var endpoint = Endpoint(Url() + "?application_name=terminate-me");
        await using var dataSource = endpoint.CreateDataSourceBuilder().Build();
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        Assert.Equal(1, await postgres.TerminateConnectionsAsync("terminate-me", Ct));

        var failure = await FailureAsync(() => Scalar(connection, "SELECT 1"), endpoint, FailureOperation.Command);

        Assert.Equal(FailureKind.ServerShuttingDown, failure.Kind);
        Assert.Equal("57P01", failure.SqlState);
        Assert.Contains("pg_terminate_backend", failure.Diagnosis, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerInSmartShutdown_IsServerShuttingDown()
    {
        await using var stopping = await LocalPostgres.CreateAsync(cancellationToken: Ct);
        var builder = stopping.CreateConnectionStringBuilder();
        builder.Pooling = false;
        await using var held = new NpgsqlConnection(builder.ConnectionString);
        await held.OpenAsync(Ct);
        await stopping.BeginStopAsync(ShutdownMode.Smart, Ct);

        DatabaseFailure? failure = null;
        for (var attempt = 0; attempt < 50 && failure is null; attempt++)
        {
            try
            {
                await using var fresh = new NpgsqlConnection(builder.ConnectionString);
                await fresh.OpenAsync(Ct);
                await Task.Delay(100, Ct);
            }
            catch (Exception ex) when (ex is NpgsqlException)
            {
                failure = FailureClassifier.Classify(ex, Endpoint(stopping.DatabaseUrl));
            }
        }

        Assert.NotNull(failure);
        Assert.Equal(FailureKind.ServerShuttingDown, failure.Kind);
        Assert.Equal("57P03", failure.SqlState);
    }

    [Fact]
    public async Task PoolWithEveryConnectionHeld_IsPoolExhausted_NotTransient()
    {
        var endpoint = Endpoint(Url() + "?connect_timeout=1");
        var builder = endpoint.CreateDataSourceBuilder();
        builder.ConnectionStringBuilder.MaxPoolSize = 1;
        await using var dataSource = builder.Build();
        await using var held = await dataSource.OpenConnectionAsync(Ct);

        var failure = await FailureAsync(async () =>
        {
            await using var second = await dataSource.OpenConnectionAsync(Ct);
        }, endpoint, FailureOperation.Connect);

        Assert.Equal(FailureKind.PoolExhausted, failure.Kind);
        Assert.False(failure.IsTransient);
    }

    [Fact]
    public async Task CommandPastItsTimeout_IsQueryTimeout()
    {
        var endpoint = Endpoint(Url());
        await using var dataSource = endpoint.CreateDataSourceBuilder().Build();
        await using var connection = await dataSource.OpenConnectionAsync(Ct);

        var failure = await FailureAsync(async () =>
        {
            await using var command = new NpgsqlCommand("SELECT pg_sleep(10)", connection) { CommandTimeout = 1 };
            await command.ExecuteScalarAsync(Ct);
        }, endpoint, FailureOperation.Command);

        Assert.Equal(FailureKind.QueryTimeout, failure.Kind);
        Assert.False(failure.IsTransient);
    }

    [Fact]
    public async Task SslRequiredButServerHasNone_IsTls_Permanent()
    {
        var endpoint = Endpoint(Url() + "?sslmode=require");

        var failure = await OpenFailureAsync(endpoint);

        Assert.Equal(FailureKind.Tls, failure.Kind);
        Assert.True(failure.IsPermanent);
    }

    private string Url(int? port = null, string? database = null) =>
        postgres.DatabaseUrlVia(port ?? postgres.Port, database);

    private static DatabaseEndpoint Endpoint(string url) => DatabaseEndpoint.Parse(url);

    private static async Task<DatabaseFailure> OpenFailureAsync(DatabaseEndpoint endpoint)
    {
        await using var dataSource = endpoint.CreateDataSourceBuilder().Build();
        return await FailureAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(Ct);
        }, endpoint, FailureOperation.Connect);
    }

    private static async Task<DatabaseFailure> FailureAsync(Func<Task> action, DatabaseEndpoint endpoint, FailureOperation operation)
    {
        var exception = await Assert.ThrowsAnyAsync<Exception>(action);
        return FailureClassifier.Classify(exception, endpoint, operation);
    }

    private static async Task Scalar(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteScalarAsync(Ct);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
