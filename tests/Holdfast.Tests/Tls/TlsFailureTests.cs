using System.Diagnostics;
using Holdfast.Testing;
using Holdfast.Tests.Resilience;
using Holdfast.Tls;
using Npgsql;

namespace Holdfast.Tests.Tls;

/// <summary>
/// Every TLS misconfiguration against a real TLS-requiring server: its own diagnosis, permanent, one attempt, answered
/// well within the budget — never retried for the whole of it.
/// </summary>
public sealed class TlsFailureTests(TlsServerFixture server, Shared.PostgresFixture plain) : IClassFixture<TlsServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ServerRequiresTls_ClientDisabledIt_IsTlsInOneAttempt_WithTheFix()
    {
        var ex = await FailAsync(server.Url("sslmode=disable"));

        Assert.Contains("requires TLS", ex.Failure.Diagnosis, StringComparison.Ordinal);
        Assert.Contains("sslmode=require or stronger", ex.Failure.Diagnosis, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Postgres.Password, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerHasNoTls_ClientRequiresIt_IsTls_ServerDoesNotOfferIt()
    {
        var url = plain.Postgres.DatabaseUrl + "?sslmode=require";

        var ex = await FailAsync(url);

        Assert.Contains("does not offer TLS", ex.Failure.Diagnosis, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TestCertificateProblem.UnknownAuthority, "does not chain to the CA file", "global-bundle.pem")]
    [InlineData(TestCertificateProblem.WrongHostName, "is for 'db.example.internal', not for '127.0.0.1'", "connect by a name the certificate carries")]
    [InlineData(TestCertificateProblem.Expired, "certificate expired on", "rotate the server's certificate")]
    [InlineData(TestCertificateProblem.NotYetValid, "is valid only from", "check the client's clock")]
    public async Task BadCertificate_UnderVerifyFull_IsItsOwnDiagnosis_InOneAttempt(TestCertificateProblem problem, string what, string fix)
    {
        await server.Postgres.ReplaceCertificateAsync(problem, cancellationToken: Ct);
        try
        {
            var ex = await FailAsync(server.Url($"sslmode=verify-full&sslrootcert={server.CaFile}"));

            Assert.Contains(what, ex.Failure.Diagnosis, StringComparison.Ordinal);
            Assert.Contains(fix, ex.Failure.Diagnosis, StringComparison.Ordinal);
        }
        finally
        {
            await server.Postgres.ReplaceCertificateAsync(TestCertificateProblem.None, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task MissingRootCertificateFile_IsTls_NamingTheFile()
    {
        var ex = await FailAsync(server.Url("sslmode=verify-full&sslrootcert=/nonexistent/ca.pem"));

        Assert.Contains("could not be read", ex.Failure.Diagnosis, StringComparison.Ordinal);
        Assert.Contains("sslrootcert", ex.Failure.Diagnosis, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyFull_WithTheRightCa_Connects_AndTheInspectorSeesWhatWasVerified()
    {
        var url = server.Url($"sslmode=verify-full&sslrootcert={server.CaFile}");
        await using var db = GuardedSources.CreateFromUrl(url, GuardedSources.NewApplicationName("tls-ok"));
        Assert.Equal(1, await db.ExecuteAsync(async (c, t) =>
        {
            await using var command = new NpgsqlCommand("SELECT 1", c);
            return (int)(await command.ExecuteScalarAsync(t))!;
        }, Ct));

        var seen = await TlsInspector.InspectAsync(DatabaseEndpoint.Parse(url), TimeProvider.System, Ct);

        Assert.NotNull(seen);
        Assert.True(seen.Offered);
        Assert.Equal(TlsProblem.None, seen.Problem);
        Assert.True(seen.ChainVerified && seen.ChainTrusted && seen.HostNameVerified && seen.HostNameMatches);
        Assert.Equal("CN=localhost", seen.Subject);
        Assert.Equal("CN=Holdfast LocalPostgres test CA", seen.Issuer);
        Assert.InRange(seen.DaysLeft!.Value, 360, 366);
        Assert.Contains("127.0.0.1", seen.Names);
    }

    [Fact]
    public async Task SslModeRequire_AcceptsABadCertificate_AndTheInspectorSaysNothingWasVerified()
    {
        await server.Postgres.ReplaceCertificateAsync(TestCertificateProblem.UnknownAuthority, cancellationToken: Ct);
        try
        {
            var url = server.Url("sslmode=require");
            await using var db = GuardedSources.CreateFromUrl(url, GuardedSources.NewApplicationName("tls-require"));
            await using (await db.OpenConnectionAsync(Ct))
            {
            }

            var seen = await TlsInspector.InspectAsync(DatabaseEndpoint.Parse(url), TimeProvider.System, Ct);

            Assert.Equal(TlsProblem.None, seen!.Problem);
            Assert.False(seen.ChainVerified);
            Assert.False(seen.ChainTrusted);
        }
        finally
        {
            await server.Postgres.ReplaceCertificateAsync(TestCertificateProblem.None, cancellationToken: Ct);
        }
    }

    /// <summary>Opens through a guarded source on the short profile (10 s budget): a TLS failure ends in one attempt, far inside it.</summary>
    private static async Task<DatabaseConnectionException> FailAsync(string url)
    {
        await using var db = GuardedSources.CreateFromUrl(url, GuardedSources.NewApplicationName("tls"));
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<DatabaseConnectionException>(async () => await db.OpenConnectionAsync(Ct));
        watch.Stop();

        Assert.Equal(FailureKind.Tls, ex.Failure.Kind);
        Assert.True(ex.Failure.IsPermanent);
        Assert.Equal(1, ex.Attempts);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"a TLS failure took {watch.Elapsed} (budget 10 s): it must not be retried");
        Assert.Equal(4, ex.Failure.ExitCode);
        return ex;
    }
}
