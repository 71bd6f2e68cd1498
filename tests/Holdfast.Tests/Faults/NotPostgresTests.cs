using Npgsql;

namespace Holdfast.Tests.Faults;

/// <summary>A port where something other than PostgreSQL answers (an HTTP server): a permanent kind of its own.</summary>
public sealed class NotPostgresTests
{
    // With sslmode=disable Npgsql reads the HTTP answer as a message of absurd length and ends with a broken connection
    // (Reset): nothing tells it apart there. doctor checks the protocol in every mode.
    [Theory]
    [InlineData("prefer")]
    [InlineData("require")]
    public async Task AnHttpServerOnThePort_IsNotPostgres_Permanent_WithTheFix(string sslMode)
    {
        await using var http = new HttpOnlyServer();
        var endpoint = DatabaseEndpoint.Parse($"postgres://app:S3cr3t@127.0.0.1:{http.Port}/orders?sslmode={sslMode}");
        var settings = endpoint.ToConnectionStringBuilder();
        settings.Pooling = false;
        settings.Timeout = 5;

        await using var connection = new NpgsqlConnection(settings.ConnectionString);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => connection.OpenAsync(TestContext.Current.CancellationToken));
        var failure = FailureClassifier.Classify(error, endpoint);

        Assert.True(failure.Kind == FailureKind.NotPostgres, $"{failure.Kind}: {error.GetType().Name}: {error.Message}");
        Assert.True(failure.IsPermanent);
        Assert.Equal(4, failure.ExitCode);
        Assert.Contains("this is not a PostgreSQL server", failure.Diagnosis, StringComparison.Ordinal);
        Assert.DoesNotContain("S3cr3t", failure.ToString(), StringComparison.Ordinal);
    }
}
