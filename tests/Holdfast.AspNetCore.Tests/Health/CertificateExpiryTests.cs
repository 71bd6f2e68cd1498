using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Holdfast.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Holdfast.AspNetCore.Tests.Health;

/// <summary>
/// The server certificate's expiry in <c>/health</c>, the dashboard's state, the <c>holdfast.tls.certificate.expiry</c> gauge
/// and the <c>certificate-expiry</c> alert, against a real TLS server whose certificate is about to expire, then rotated.
/// </summary>
public sealed class CertificateExpiryTests
{
    /// <summary>This test's data source: the gauge is read for it alone (other tests in this process have TLS servers too).</summary>
    private const string DataSource = "certificate-expiry";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CertificateCloseToExpiry_ShowsInHealthAndRaisesTheAlert_AndARotationResolvesIt()
    {
        await using var postgres = await LocalPostgres.CreateAsync(
            new LocalPostgresOptions { Tls = new LocalPostgresTls { Validity = TimeSpan.FromDays(5) } }, Ct);
        var url = postgres.DatabaseUrl + $"?sslmode=verify-full&sslrootcert={postgres.CertificateAuthorityFile}";
        using var gauge = new GaugeReader("holdfast.tls.certificate.expiry");
        await using var app = await StartAsync(url);
        using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

        var health = await HealthUntilAsync(http, h => h.GetProperty("tls").TryGetProperty("subject", out var s) && s.ValueKind == JsonValueKind.String &&
                                                      h.GetProperty("alerts").GetArrayLength() > 0);
        var tls = health.GetProperty("tls");
        Assert.Equal("verify-full", tls.GetProperty("sslMode").GetString());
        Assert.Equal("CN=localhost", tls.GetProperty("subject").GetString());
        Assert.InRange(tls.GetProperty("daysLeft").GetDouble(), 4.5, 5.01);
        Assert.True(tls.GetProperty("expiresSoon").GetBoolean());
        Assert.True(tls.GetProperty("chainVerified").GetBoolean());
        Assert.Equal(14, tls.GetProperty("warningDays").GetDouble());
        var alert = health.GetProperty("alerts").EnumerateArray().Single(a => a.GetProperty("rule").GetString() == "certificate-expiry");
        Assert.Equal("Warning", alert.GetProperty("level").GetString());
        Assert.Contains("expires in 5 days", alert.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.InRange(gauge.Last() ?? -1, TimeSpan.FromDays(4.5).TotalSeconds, TimeSpan.FromDays(5.01).TotalSeconds);

        await postgres.ReplaceCertificateAsync(TestCertificateProblem.None, TimeSpan.FromDays(90), Ct);
        health = await HealthUntilAsync(http, h => h.GetProperty("alerts").GetArrayLength() == 0);
        Assert.InRange(health.GetProperty("tls").GetProperty("daysLeft").GetDouble(), 89, 90.01);
        Assert.False(health.GetProperty("tls").GetProperty("expiresSoon").GetBoolean());
        Assert.InRange(gauge.Last() ?? -1, TimeSpan.FromDays(89).TotalSeconds, TimeSpan.FromDays(90.01).TotalSeconds);
    }

    private static async Task<WebApplication> StartAsync(string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration["DATABASE_URL"] = url;
        builder.Configuration["HOLDFAST_ENVIRONMENT"] = "test";
        builder.Configuration["Holdfast:Resilience:Tls:CertificateCheckInterval"] = "1s";
        builder.Configuration["Holdfast:Health:CacheDuration"] = "200ms";
        builder.Services.AddHoldfast(builder.Configuration, options => options.DataSource.Name = DataSource);
        var app = builder.Build();
        app.MapHoldfastHealth();
        await app.StartAsync(Ct);
        return app;
    }

    private static async Task<JsonElement> HealthUntilAsync(HttpClient http, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), Ct);
            var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
            if (response.StatusCode == HttpStatusCode.OK && root.TryGetProperty("tls", out var tls) && tls.ValueKind == JsonValueKind.Object && condition(root))
            {
                return root;
            }

            Assert.True(DateTime.UtcNow < deadline, $"/health never got there: {root}");
            await Task.Delay(200, Ct);
        }
    }

    /// <summary>The last value an observable gauge of the Holdfast meter reported.</summary>
    private sealed class GaugeReader : IDisposable
    {
        private readonly MeterListener listener = new();
        private double? last;

        public GaugeReader(string name)
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Holdfast" && instrument.Name == name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "holdfast.data_source" && tag.Value as string == DataSource)
                    {
                        last = value;
                    }
                }
            });
            listener.Start();
        }

        public double? Last()
        {
            last = null;
            listener.RecordObservableInstruments();
            return last;
        }

        public void Dispose() => listener.Dispose();
    }
}
