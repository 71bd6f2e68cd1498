using CsCheck;
using Holdfast.Timeouts;

namespace Holdfast.Tests.Configuration;

/// <summary>
/// Generated inputs (CsCheck: random, shrunk to the smallest failing case): URLs built from every part the parser knows,
/// with raw special characters, and plain junk; key-value connection strings; durations. Whatever comes in, the only
/// exception is the configuration one, no message or display form carries the password, and what parses round-trips.
/// </summary>
public sealed class EndpointPropertyTests
{
    /// <summary>Marks every generated password, so a leak is found by looking for it.</summary>
    private const string Marker = "Zq9pw";

    private const int Iterations = 3000;

    private static readonly Gen<string> Special = Gen.OneOf(Gen.Const("@"), Gen.Const(":"), Gen.Const("/"), Gen.Const("?"), Gen.Const("#"),
        Gen.Const("%"), Gen.Const("%40"), Gen.Const("%2F"), Gen.Const("%00"), Gen.Const("%ZZ"), Gen.Const("+"), Gen.Const(" "), Gen.Const("&"),
        Gen.Const("="), Gen.Const(","), Gen.Const("["), Gen.Const("]"), Gen.Const("é"), Gen.Const("\n"));

    private static readonly Gen<string> Word = Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-_."].Array[1, 8].Select(c => new string(c));

    private static readonly Gen<string> Fragment = Gen.OneOf(Word, Special).Array[0, 4].Select(parts => string.Concat(parts));

    private static readonly Gen<string> Host = Gen.OneOf(
        Word,
        Gen.Int[0, 255].Array[4].Select(o => string.Join('.', o)),
        Gen.Const("[::1]"), Gen.Const("[2001:db8::5]"), Gen.Const("::1"), Gen.Const("/cloudsql/p:r:i"), Gen.Const(""), Fragment);

    private static readonly Gen<string> HostEntry = Gen.Select(Host, Gen.OneOf(Gen.Const(""), Gen.Const(":"), Gen.Int[0, 70000].Select(p => ":" + p), Fragment.Select(f => ":" + f)),
        (host, port) => host + port);

    private static readonly Gen<string> Query = Gen.OneOf(
            Gen.Const("sslmode=require"), Gen.Const("sslmode=bogus"), Gen.Const("ssl=true"), Gen.Const("application_name=a+b"),
            Gen.Const("target_session_attrs=primary"), Gen.Const("target_session_attrs=bogus"), Gen.Const("connect_timeout=-1"),
            Gen.Const("connect_timeout=10"), Gen.Const("gssencmode=disable"), Gen.Const("sslmode"), Gen.Const("host=h:6432"),
            Gen.Const("host=[::1]:5433"), Gen.Const("port=5433"), Gen.Const("port=x"), Gen.Const("user=u"), Fragment.Select(f => "application_name=" + f),
            Fragment.Select(f => f + "=" + f))
        .Array[0, 4].Select(q => q.Length == 0 ? "" : "?" + string.Join('&', q));

    private static readonly Gen<string> Scheme = Gen.OneOf(Gen.Const("postgres"), Gen.Const("postgresql"), Gen.Const("postgresql+asyncpg"),
        Gen.Const("postgresql+psycopg2"), Gen.Const("postgresql+foo"), Gen.Const("mysql"), Gen.Const("POSTGRES"));

    /// <summary>URLs from parts, the password with the marker and raw special characters.</summary>
    private static readonly Gen<string> StructuredUrl = Gen.Select(Scheme, Word, Fragment, HostEntry.Array[1, 3], Fragment, Query,
        (scheme, user, passwordNoise, hosts, database, query) =>
            $"{scheme}://{user}:{Marker}{passwordNoise}@{string.Join(',', hosts)}/{database}{query}");

    /// <summary>
    /// Anything from the URL alphabet around a password with the marker. Before the ':' no raw '/', '?' or '#': there
    /// they end the authority, and what follows is the database name or the query, not a password, for libpq too.
    /// </summary>
    private static readonly Gen<string> JunkUrl = Gen.Select(Fragment.Where(f => f.IndexOfAny(['/', '?', '#']) < 0), Fragment, Fragment,
        (a, b, c) => $"postgres://{a}:{Marker}{b}@{c}");

    [Fact]
    public void AnyUrl_ParsesOrFailsWithTheConfigurationError_NeverShowingThePassword()
    {
        Gen.OneOf(StructuredUrl, JunkUrl).Sample(url =>
        {
            try
            {
                var endpoint = DatabaseEndpoint.Parse(url, "DATABASE_URL");
                Assert.DoesNotContain(Marker, endpoint.ToString(), StringComparison.Ordinal);
                Assert.All(endpoint.Warnings, w => Assert.DoesNotContain(Marker, w, StringComparison.Ordinal));
            }
            catch (HoldfastConfigurationException ex)
            {
                Assert.DoesNotContain(Marker, ex.Message, StringComparison.Ordinal);
            }
        }, iter: Iterations);
    }

    [Fact]
    public void AnyUrlThatParses_RoundTripsThroughItsDisplayForm_PasswordAside()
    {
        StructuredUrl.Sample(url =>
        {
            DatabaseEndpoint endpoint;
            try
            {
                endpoint = DatabaseEndpoint.Parse(url, "DATABASE_URL");
            }
            catch (HoldfastConfigurationException)
            {
                return;
            }

            var again = DatabaseEndpoint.Parse(endpoint.ToString(), "DATABASE_URL");
            Assert.Equal(Describe(endpoint), Describe(again));
        }, iter: Iterations);
    }

    [Fact]
    public void AnyConnectionString_ParsesOrFailsWithTheConfigurationError_NeverShowingThePassword()
    {
        var keyword = Gen.OneOf(Gen.Const("Host"), Gen.Const("Port"), Gen.Const("Username"), Gen.Const("Database"), Gen.Const("SSL Mode"),
            Gen.Const("Timeout"), Gen.Const("Application Name"), Gen.Const("Maximum Pool Size"), Gen.Const("Target Session Attributes"),
            Gen.Const("Foo"), Gen.Const("Server"), Word);
        var pair = Gen.Select(keyword, Fragment, (k, v) => $"{k}={v}");
        Gen.Select(pair.Array[0, 5], Fragment, (pairs, noise) => string.Join(';', pairs.Append($"Password={Marker}{noise}"))).Sample(text =>
        {
            try
            {
                var endpoint = DatabaseEndpoint.Parse(text, "ConnectionStrings:Database");
                Assert.DoesNotContain(Marker, endpoint.ToString(), StringComparison.Ordinal);
            }
            catch (HoldfastConfigurationException ex)
            {
                Assert.DoesNotContain(Marker, ex.Message, StringComparison.Ordinal);
            }
        }, iter: Iterations);
    }

    [Fact]
    public void AnyDuration_ParsesOrFailsWithTheConfigurationError()
    {
        var number = Gen.OneOf(Gen.Double.Select(d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture)), Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Gen.Const("1e9"), Gen.Const("NaN"), Gen.Const("-0"), Gen.Const("99999"), Gen.Const(""), Fragment);
        var unit = Gen.OneOf(Gen.Const(""), Gen.Const("ms"), Gen.Const("s"), Gen.Const("m"), Gen.Const("h"), Gen.Const("d"), Gen.Const(":00"), Gen.Const(" s"));
        Gen.Select(number, unit, (n, u) => n + u).Sample(text =>
        {
            _ = DurationText.TryParse(text, out _);
            try
            {
                var value = DurationText.Parse(text, "Holdfast:Timeouts:Connection");
                Assert.True(value.Duration() <= TimeSpan.MaxValue / 2);
            }
            catch (HoldfastConfigurationException)
            {
            }
        }, iter: Iterations);
    }

    private static string Describe(DatabaseEndpoint e) =>
        $"{string.Join(',', e.Hosts)} db={e.Database} user={e.Username} ssl={e.SslMode} app={e.ApplicationName} timeout={e.ConnectTimeout} " +
        $"target={e.TargetSessionAttributes} password={e.HasPassword}";
}
