using System.Text.Json;
using Holdfast.Cli.Tests.Support;
using Holdfast.Testing;

namespace Holdfast.Cli.Tests.Doctor;

/// <summary><c>holdfast doctor</c> and <c>validate</c> as processes against a real TLS-requiring server.</summary>
public sealed class DoctorTlsTests(TlsServerFixture server) : IClassFixture<TlsServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Doctor_VerifyFull_ShowsProtocolCipherCertificateAndWhatWasVerified()
    {
        var run = await CliProcess.RunAsync(["doctor", "--json", "--samples", "1"],
            Variables(server.Url($"sslmode=verify-full&sslrootcert={server.CaFile}")));

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        var stage = json.RootElement.GetProperty("stages")[3];
        Assert.Equal("tls", stage.GetProperty("name").GetString());
        Assert.Equal("ok", stage.GetProperty("status").GetString());
        var tls = json.RootElement.GetProperty("tls");
        Assert.StartsWith("Tls1", tls.GetProperty("protocol").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(tls.GetProperty("cipher").GetString()));
        Assert.Equal("CN=localhost", tls.GetProperty("subject").GetString());
        Assert.Equal("CN=Holdfast LocalPostgres test CA", tls.GetProperty("issuer").GetString());
        Assert.InRange(tls.GetProperty("daysLeft").GetDouble(), 360, 366);
        Assert.True(tls.GetProperty("chainVerified").GetBoolean());
        Assert.True(tls.GetProperty("hostNameVerified").GetBoolean());
        Assert.Contains($"chain verified against the CA file {server.CaFile}", tls.GetProperty("verification").GetString(), StringComparison.Ordinal);
        Assert.Contains("sslrootcert=" + server.CaFile, json.RootElement.GetProperty("configuration").GetProperty("display").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_LibpqVariables_PgSslModeAndPgSslRootCert_AreUsed()
    {
        var variables = Variables(server.Url("application_name=doctor-tls"));
        variables["PGSSLMODE"] = "verify-full";
        variables["PGSSLROOTCERT"] = server.CaFile;

        var run = await CliProcess.RunAsync(["doctor", "--samples", "1"], variables);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("HEALTHY", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("host name '127.0.0.1' verified", run.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TestCertificateProblem.UnknownAuthority, "does not chain to the CA file")]
    [InlineData(TestCertificateProblem.WrongHostName, "is for 'db.example.internal', not for '127.0.0.1'")]
    [InlineData(TestCertificateProblem.Expired, "certificate expired on")]
    public async Task Doctor_BadCertificate_FailsAtTlsWithExitFour_InOneConnectTimeout(TestCertificateProblem problem, string what)
    {
        await server.Postgres.ReplaceCertificateAsync(problem, cancellationToken: Ct);
        try
        {
            var run = await CliProcess.RunAsync(["doctor", "--json"], Variables(server.Url($"sslmode=verify-full&sslrootcert={server.CaFile}")));

            Assert.True(run.ExitCode == 4, run.ToString());
            using var json = JsonDocument.Parse(run.Stdout);
            var verdict = json.RootElement.GetProperty("verdict");
            Assert.Equal("tls", verdict.GetProperty("stage").GetString());
            Assert.Equal("tls", verdict.GetProperty("kind").GetString());
            Assert.True(verdict.GetProperty("permanent").GetBoolean());
            Assert.Contains(what, verdict.GetProperty("diagnosis").GetString(), StringComparison.Ordinal);
            Assert.True(run.Elapsed < TimeSpan.FromSeconds(20), run.ToString());
        }
        finally
        {
            await server.Postgres.ReplaceCertificateAsync(TestCertificateProblem.None, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task Doctor_ServerRequiresTls_SslModeDisable_FailsAtAuthenticationWithExitFour()
    {
        var run = await CliProcess.RunAsync(["doctor"], Variables(server.Url("sslmode=disable")));

        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.Contains("FAILED at authentication: Tls", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("requires TLS", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Postgres.Password, run.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sslmode=require", true)]
    [InlineData("sslmode=prefer", true)]
    [InlineData("sslmode=verify-full&sslrootcert=/etc/ca.pem", false)]
    public async Task Validate_Staging_WarnsWhenThePasswordGoesToAnUnverifiedServer_WithoutRefusing(string query, bool warns)
    {
        var run = await CliProcess.RunAsync(["validate", "--environment", "staging", "--json"],
            new Dictionary<string, string> { ["DATABASE_URL"] = $"postgres://app:secret@db.internal:5432/app?{query}" });

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal(warns, json.RootElement.GetProperty("warnings").GetArrayLength() == 1);
        Assert.Contains(warns ? "not verified" : "verified against /etc/ca.pem", json.RootElement.GetProperty("tls").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("secret", run.All, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Variables(string url) => new() { ["DATABASE_URL"] = url };
}
