using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Holdfast.Telemetry;
using Holdfast.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Holdfast.AspNetCore.Tests.Telemetry;

/// <summary>
/// docs/metrics.md against a real run: every name its tables list is emitted by the meter it names, as the instrument
/// and with the unit it names, while a service runs against a TLS server through a fault proxy — start-up, work, a
/// terminated connection, a full pool, then refused connects until the circuit opens.
/// </summary>
public sealed class DocumentedMetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryDocumentedMetric_IsEmittedByItsMeter_WithItsInstrumentAndUnit()
    {
        var documented = DocumentedMetric.ReadAll();
        Assert.True(documented.Count >= 15, $"docs/metrics.md lists {documented.Count} metrics: its tables were not read");

        await using var postgres = await LocalPostgres.CreateAsync(new LocalPostgresOptions { Tls = new LocalPostgresTls() }, Ct);
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration["DATABASE_URL"] = postgres.DatabaseUrlVia(proxy.Port) + $"?sslmode=verify-ca&sslrootcert={postgres.CertificateAuthorityFile}";
        builder.Configuration["HOLDFAST_ENVIRONMENT"] = "test";
        builder.Services.AddHoldfast(builder.Configuration, options =>
        {
            options.DataSource.Name = "documented";
            options.DataSource.AlertRules.Add(new AlertRule(AlertRule.ConnectTimeName, TimeSpan.FromTicks(1), TimeSpan.FromTicks(2)));
            options.DataSource.ConfigureNpgsql = npgsql => npgsql.ConnectionStringBuilder.MaxPoolSize = 2;
        });
        await using var app = builder.Build();
        // The listener starts before the host does, on this host's own Holdfast meter (made now) and on Npgsql's
        // measurements of this data source's pool only: other tests' hosts in this process do not count.
        using var seen = new SeenInstruments(app.Services.GetRequiredService<HoldfastInstruments>().Meter, "documented");
        app.MapHoldfastHealth();
        await app.StartAsync(Ct);
        using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        await ReadyAsync(http);
        var db = app.Services.GetRequiredService<HoldfastDataSource>();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1, await db.ExecuteAsync(static async (c, t) => (int)(await new NpgsqlCommand("SELECT 1", c).ExecuteScalarAsync(t))!, Ct));
        }

        // The server ends the idle pooled connections: the next rentals discard them.
        await using (var admin = new NpgsqlConnection(postgres.ConnectionString))
        {
            await admin.OpenAsync(Ct);
            await using var kill = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'", admin);
            await kill.ExecuteScalarAsync(Ct);
        }

        await Task.Delay(200, Ct);
        await using (await db.OpenConnectionAsync(Ct))
        {
        }

        // A full pool: both connections held, a third caller gets none within its budget.
        await using (var first = await db.OpenConnectionAsync(Ct))
        await using (var second = await db.OpenConnectionAsync(Ct))
        {
            await Assert.ThrowsAsync<DatabaseConnectionException>(async () => await db.OpenConnectionAsync(TimeSpan.FromMilliseconds(300), Ct));
        }

        // Refused connects, retried until each budget runs out, until the circuit opens and refuses at once.
        proxy.Refuse();
        db.Inner.Clear();
        var refused = false;
        for (var i = 0; i < 40 && !refused; i++)
        {
            try
            {
                await db.ExecuteAsync(static (_, _) => ValueTask.FromResult(0), TimeSpan.FromMilliseconds(300), Ct);
            }
            catch (DatabaseUnavailableException)
            {
                refused = true;
            }
            catch (DatabaseConnectionException)
            {
            }
        }

        Assert.True(refused, "the circuit never opened on refused connects");
        seen.RecordObservable();

        var problems = documented.Select(seen.Problem).OfType<string>().Concat(seen.CountedTwice()).ToList();
        Assert.True(problems.Count == 0, "docs/metrics.md and the instruments disagree:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
    }

    private static async Task ReadyAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative), Ct);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"never ready: {await response.Content.ReadAsStringAsync(Ct)}");
            await Task.Delay(100, Ct);
        }
    }

    /// <summary>A row of docs/metrics.md: name, meter, instrument, unit.</summary>
    private sealed record DocumentedMetric(string Name, string Meter, string Instrument, string Unit)
    {
        public static IReadOnlyList<DocumentedMetric> ReadAll()
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Holdfast.slnx")))
            {
                directory = directory.Parent;
            }

            Assert.NotNull(directory);
            return [.. File.ReadLines(Path.Combine(directory.FullName, "docs", "metrics.md"))
                .Where(line => line.StartsWith("| `", StringComparison.Ordinal))
                .Select(line => line.Split('|', StringSplitOptions.TrimEntries))
                .Select(cells => new DocumentedMetric(cells[1].Trim('`'), cells[2], cells[3], cells[4].Trim('`')))];
        }
    }

    /// <summary>Which instruments reported a measurement, by name, with their meter, kind and unit.</summary>
    private sealed class SeenInstruments : IDisposable
    {
        private readonly MeterListener listener = new();
        private readonly ConcurrentDictionary<string, Instrument> reported = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<(string Name, string Meter), bool> byMeter = new();
        private readonly string poolName;

        public SeenInstruments(Meter holdfast, string poolName)
        {
            this.poolName = poolName;
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, holdfast) || instrument.Meter.Name == "Npgsql")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<double>((i, _, tags, _) => Report(i, tags));
            listener.SetMeasurementEventCallback<long>((i, _, tags, _) => Report(i, tags));
            listener.SetMeasurementEventCallback<int>((i, _, tags, _) => Report(i, tags));
            listener.Start();
        }

        public void RecordObservable() => listener.RecordObservableInstruments();

        /// <summary>What is wrong with a documented row, or null when a run emitted it as documented.</summary>
        public string? Problem(DocumentedMetric metric)
        {
            if (!reported.TryGetValue(metric.Name, out var instrument))
            {
                return $"{metric.Name}: never emitted by the {metric.Meter} meter";
            }

            var kind = KindOf(instrument);
            return instrument.Meter.Name != metric.Meter ? $"{metric.Name}: emitted by {instrument.Meter.Name}, documented as {metric.Meter}"
                : kind != metric.Instrument ? $"{metric.Name}: a {kind}, documented as a {metric.Instrument}"
                : instrument.Unit != metric.Unit ? $"{metric.Name}: unit '{instrument.Unit}', documented as '{metric.Unit}'"
                : null;
        }

        /// <summary>Names both meters emitted: Npgsql's own measurements must not be repeated by Holdfast's under the same name.</summary>
        public IEnumerable<string> CountedTwice() =>
            byMeter.Keys.GroupBy(k => k.Name).Where(g => g.Count() > 1).Select(g => $"{g.Key}: emitted by both {string.Join(" and ", g.Select(k => k.Meter))}");

        public void Dispose() => listener.Dispose();

        private static string KindOf(Instrument instrument) => instrument.GetType().Name switch
        {
            var n when n.StartsWith("ObservableUpDownCounter", StringComparison.Ordinal) || n.StartsWith("UpDownCounter", StringComparison.Ordinal) => "UpDownCounter",
            var n when n.StartsWith("ObservableCounter", StringComparison.Ordinal) || n.StartsWith("Counter", StringComparison.Ordinal) => "Counter",
            var n when n.StartsWith("ObservableGauge", StringComparison.Ordinal) || n.StartsWith("Gauge", StringComparison.Ordinal) => "Gauge",
            var n when n.StartsWith("Histogram", StringComparison.Ordinal) => "Histogram",
            var n => n,
        };

        private void Report(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (instrument.Meter.Name == "Npgsql" && !Names(tags, poolName))
            {
                return;
            }

            reported.TryAdd(instrument.Name, instrument);
            byMeter.TryAdd((instrument.Name, instrument.Meter.Name), true);
        }

        /// <summary>Npgsql's measurement of this pool: its pool name, or (on commands) its data source.</summary>
        private static bool Names(ReadOnlySpan<KeyValuePair<string, object?>> tags, string pool)
        {
            foreach (var tag in tags)
            {
                if (tag.Key is HoldfastInstruments.PoolNameTag or "db.npgsql.data_source" && tag.Value as string == pool)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
