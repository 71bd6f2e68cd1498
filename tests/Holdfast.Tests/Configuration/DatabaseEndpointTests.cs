using Holdfast.Configuration;
using Holdfast.Tests.Support;
using Npgsql;

namespace Holdfast.Tests.Configuration;

public sealed class DatabaseEndpointTests
{
    public static TheoryData<string> CaseNames => new(EndpointCases.All.Keys);

    [Fact]
    public void Cases_CoverAtLeastFortyInputsIncludingMalformedOnes()
    {
        Assert.True(EndpointCases.All.Count >= 40, $"{EndpointCases.All.Count} cases");
        Assert.True(EndpointCases.All.Values.Count(c => c.Expected.StartsWith("error:", StringComparison.Ordinal)) >= 20);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Resolve_Case_GivesExactEndpointOrError(string name)
    {
        var testCase = EndpointCases.All[name];
        Assert.Equal(testCase.Expected, Outcome(testCase));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Resolve_Case_NeverShowsThePassword(string name)
    {
        var testCase = EndpointCases.All[name];
        try
        {
            var endpoint = Resolve(testCase);
            var shown = string.Join('\n', [endpoint.ToString(), .. endpoint.Warnings, endpoint.SourceName]);
            Assert.DoesNotContain(EndpointCases.SecretMarker, shown, StringComparison.OrdinalIgnoreCase);
        }
        catch (HoldfastConfigurationException ex)
        {
            Assert.DoesNotContain(EndpointCases.SecretMarker, ex.Message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(EndpointCases.SecretMarker, ex.ToString(), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData("postgres://app:p%40ss%3Aw%2Frd%25cr3t@db/orders", "p@ss:w/rd%cr3t")]
    [InlineData("postgres://app:S3@cr3t@db/orders", "S3@cr3t")]
    [InlineData("postgres://app:%F0%9F%94%91cr3t%20x@db/orders", "🔑cr3t x")]
    [InlineData("postgres://app:a:b:cr3t@db/orders", "a:b:cr3t")]
    [InlineData("postgres://app:%3B%3D%27%22cr3t@db/orders", ";='\"cr3t")]
    public void Parse_PercentEncodedPassword_DecodesEveryCharacter(string url, string password)
    {
        var endpoint = DatabaseEndpoint.Parse(url);

        Assert.Equal(password, endpoint.ToConnectionStringBuilder().Password);
        Assert.Equal("postgres://app:***@db:5432/orders?sslmode=prefer", endpoint.ToString());
    }

    [Theory]
    [InlineData("postgres://app:s3cr3t@db/app?sslmode=verify-full&sslrootcert=/etc/ssl/certs/rds-global.pem",
        "postgres://app:***@db:5432/app?sslmode=verify-full&sslrootcert=/etc/ssl/certs/rds-global.pem")]
    [InlineData("postgres://app@db/app?sslmode=verify-ca&sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/k.pem",
        "postgres://app@db:5432/app?sslmode=verify-ca&sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/k.pem")]
    [InlineData("postgres://app@h1,h2/app?target_session_attrs=any", "postgres://app@h1:5432,h2:5432/app?sslmode=prefer&target_session_attrs=any")]
    [InlineData("postgres://app@:5433/app?host=/var/run/postgresql", "postgres://app@/app?host=/var/run/postgresql&port=5433&sslmode=prefer")]
    public void ToString_KeepsCertificatePathsAndWhatWasWritten_NeverThePassword(string url, string display)
    {
        var endpoint = DatabaseEndpoint.Parse(url);

        Assert.Equal(display, endpoint.ToString());
    }

    [Fact]
    public void RootCertificate_System_IsVerifiedAgainstTheSystemsCas_WithoutAFileForNpgsql()
    {
        var endpoint = DatabaseEndpoint.Parse("postgres://app@db/app?sslrootcert=system");

        Assert.Equal(Npgsql.SslMode.VerifyFull, endpoint.SslMode);
        Assert.Equal("system", endpoint.RootCertificate);
        // Npgsql is given the system's bundle as the file: given none, it would read PGSSLROOTCERT or ~/.postgresql/root.crt.
        Assert.Equal(Holdfast.Configuration.TlsFiles.SystemBundle(), endpoint.ToConnectionStringBuilder().RootCertificate);
        Assert.NotNull(endpoint.ToConnectionStringBuilder().RootCertificate);
        Assert.Contains("the system's trusted CAs", endpoint.TlsVerificationText, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PasswordWithConnectionStringDelimiters_SurvivesTheNpgsqlConnectionString()
    {
        var endpoint = DatabaseEndpoint.Parse("postgres://app:%3B%3D%27%22cr3t@db/orders");

        var reparsed = new NpgsqlConnectionStringBuilder(endpoint.ToConnectionStringBuilder().ConnectionString);

        Assert.Equal(";='\"cr3t", reparsed.Password);
    }

    [Fact]
    public void Resolve_PasswordEndingInNewline_WarnsWithoutShowingIt()
    {
        var endpoint = DatabaseEndpoint.Resolve(Config.From("POSTGRES_HOST=db", "POSTGRES_PASSWORD=S3cr3t\n"));

        var warning = Assert.Single(endpoint.Warnings);
        Assert.Contains("ends with white space", warning, StringComparison.Ordinal);
        Assert.Equal("S3cr3t\n", endpoint.ToConnectionStringBuilder().Password);
    }

    [Fact]
    public void ToConnectionStringBuilder_CloudSqlSocket_KeepsColonsInHost()
    {
        var endpoint = DatabaseEndpoint.Parse("postgresql://app:S3cr3t@/orders?host=/cloudsql/proj:us-central1:inst");

        var builder = endpoint.ToConnectionStringBuilder();

        Assert.Equal("/cloudsql/proj:us-central1:inst", builder.Host);
        Assert.Equal(5432, builder.Port);
    }

    [Fact]
    public void ToConnectionStringBuilder_MultiHostWithDifferentPorts_WritesHostPortPairs()
    {
        var builder = DatabaseEndpoint.Parse("postgres://app@h1:5432,[::1]:5433/orders").ToConnectionStringBuilder();

        Assert.Equal("h1:5432,[::1]:5433", builder.Host);
    }

    [Fact]
    public void ToConnectionStringBuilder_CarriesSettingsTimeoutAndApplicationName()
    {
        var endpoint = DatabaseEndpoint.Parse(
            "postgres://app@db/orders?sslmode=verify-full&sslrootcert=/etc/ca.pem&target_session_attrs=read-write&connect_timeout=7&application_name=orders");

        var builder = endpoint.ToConnectionStringBuilder();

        Assert.Equal(SslMode.VerifyFull, builder.SslMode);
        Assert.Equal("/etc/ca.pem", builder.RootCertificate);
        Assert.Equal("read-write", builder.TargetSessionAttributes);
        Assert.Equal(7, builder.Timeout);
        Assert.Equal("orders", builder.ApplicationName);
    }

    [Fact]
    public void CreateAdminDataSourceBuilder_UsesOwnApplicationNameAndSmallPool()
    {
        var endpoint = DatabaseEndpoint.Parse("postgres://app:S3cr3t@db/orders?application_name=orders");

        var admin = new NpgsqlConnectionStringBuilder(endpoint.CreateAdminDataSourceBuilder().ConnectionString);
        var main = new NpgsqlConnectionStringBuilder(endpoint.CreateDataSourceBuilder().ConnectionString);

        Assert.Equal("orders-admin", admin.ApplicationName);
        Assert.Equal(2, admin.MaxPoolSize);
        Assert.Equal("orders", main.ApplicationName);
    }

    [Fact]
    public void CreateDataSourceBuilder_WithoutApplicationName_UsesEntryAssemblyName()
    {
        var builder = DatabaseEndpoint.Parse("postgres://app@db/orders").CreateDataSourceBuilder();

        Assert.False(string.IsNullOrEmpty(new NpgsqlConnectionStringBuilder(builder.ConnectionString).ApplicationName));
    }

    [Fact]
    public void SecretRedactor_RemovesRawAndEncodedPassword()
    {
        var endpoint = DatabaseEndpoint.Parse("postgres://app:p%40ss%20cr3t@db/orders");

        var redacted = SecretRedactor.Redact("raw p@ss cr3t and encoded p%40ss%20cr3t", endpoint);

        Assert.Equal("raw *** and encoded ***", redacted);
    }

    [Fact]
    public void IsConfigured_TellsWhetherAnySourceIsSet()
    {
        Assert.False(DatabaseEndpoint.IsConfigured(Config.From("OTHER=1")));
        Assert.True(DatabaseEndpoint.IsConfigured(Config.From("POSTGRES_HOST=db")));
        Assert.True(DatabaseEndpoint.IsConfigured(Config.From("DATABASE_URL=postgres://a@b/c")));
    }

    internal static string Describe(DatabaseEndpoint endpoint) =>
        $"{endpoint.SourceName} hosts={string.Join(',', endpoint.Hosts)} db={endpoint.Database} user={endpoint.Username} " +
        $"socket={endpoint.SocketDirectory ?? "-"} ssl={SslName(endpoint.SslMode)} app={endpoint.ApplicationName ?? "-"} " +
        $"timeout={(endpoint.ConnectTimeout is { } t ? t.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-")} " +
        $"password={(endpoint.HasPassword ? "yes" : "no")}";

    private static string SslName(SslMode mode) => mode switch
    {
        SslMode.VerifyCA => "verify-ca",
        SslMode.VerifyFull => "verify-full",
        _ => mode.ToString().ToLowerInvariant(),
    };

    private static DatabaseEndpoint Resolve(EndpointCase testCase) =>
        DatabaseEndpoint.Resolve(Config.From(testCase.Variables), testCase.Explicit);

    private static string Outcome(EndpointCase testCase)
    {
        try
        {
            return Describe(Resolve(testCase));
        }
        catch (HoldfastConfigurationException ex)
        {
            var expectedProblem = testCase.Expected.StartsWith("error: ", StringComparison.Ordinal)
                ? testCase.Expected["error: ".Length..]
                : "";
            var actual = $"{ex.Setting}: {ex.Problem}";
            return actual.StartsWith(expectedProblem, StringComparison.Ordinal) && expectedProblem.Length > 0
                ? testCase.Expected
                : "error: " + actual;
        }
    }
}
