using System.Security.Authentication;
using Npgsql;

namespace Holdfast.Testing.Tests;

/// <summary>A TLS-requiring LocalPostgres behaves as a managed server with "require SSL" does, and each bad certificate fails for real.</summary>
public sealed class LocalPostgresTlsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RequiredTls_RefusesPlainConnections_AndVerifiesAgainstItsCa()
    {
        await using var postgres = await LocalPostgres.CreateAsync(new LocalPostgresOptions { Tls = new LocalPostgresTls() }, Ct);

        Assert.True(postgres.RequiresTls);
        Assert.True(File.Exists(postgres.CertificateAuthorityFile));
        var plain = postgres.CreateConnectionStringBuilder();
        plain.SslMode = SslMode.Disable;
        plain.Pooling = false;
        var refused = await Assert.ThrowsAsync<PostgresException>(() => OpenAsync(plain));
        Assert.Equal("28000", refused.SqlState);
        Assert.Contains("no encryption", refused.MessageText, StringComparison.Ordinal);

        foreach (var host in new[] { "localhost", "127.0.0.1" })
        {
            var verified = postgres.CreateConnectionStringBuilder();
            verified.Host = host;
            verified.SslMode = SslMode.VerifyFull;
            verified.RootCertificate = postgres.CertificateAuthorityFile;
            verified.Pooling = false;
            await using var connection = new NpgsqlConnection(verified.ConnectionString);
            await connection.OpenAsync(Ct);
            await using var command = new NpgsqlCommand("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", connection);
            Assert.True((bool)(await command.ExecuteScalarAsync(Ct))!);
        }
    }

    [Theory]
    [InlineData(TestCertificateProblem.UnknownAuthority)]
    [InlineData(TestCertificateProblem.WrongHostName)]
    [InlineData(TestCertificateProblem.Expired)]
    [InlineData(TestCertificateProblem.NotYetValid)]
    public async Task ReplaceCertificateAsync_WithAProblem_FailsVerifyFull_ButNotRequire(TestCertificateProblem problem)
    {
        await using var postgres = await LocalPostgres.CreateAsync(new LocalPostgresOptions { Tls = new LocalPostgresTls() }, Ct);
        await postgres.ReplaceCertificateAsync(problem, cancellationToken: Ct);

        var verified = postgres.CreateConnectionStringBuilder();
        verified.SslMode = SslMode.VerifyFull;
        verified.RootCertificate = postgres.CertificateAuthorityFile;
        verified.Pooling = false;
        var failure = await Assert.ThrowsAsync<NpgsqlException>(() => OpenAsync(verified));
        Assert.IsType<AuthenticationException>(failure.InnerException);

        var unverified = postgres.CreateConnectionStringBuilder();
        unverified.SslMode = SslMode.Require;
        unverified.Pooling = false;
        await OpenAsync(unverified);
    }

    private static async Task OpenAsync(NpgsqlConnectionStringBuilder builder)
    {
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(Ct);
    }
}
