using System.Diagnostics;
using Holdfast.Testing;
using Holdfast.Timeouts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Holdfast.AspNetCore.Tests.Telemetry;

/// <summary>
/// Holdfast's spans through a real OpenTelemetry tracer provider: a request's <c>ExecuteAsync</c> is a child span of the
/// request with Npgsql's command span under it, a retried call carries its retries as events, and a call that fails
/// says its failure kind.
/// </summary>
public sealed class TracingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ExecuteAsyncInARequest_IsAChildOfTheRequestSpan_WithNpgsqlsCommandUnderIt_AndRetriesAreEvents()
    {
        await using var postgres = await LocalPostgres.CreateAsync(cancellationToken: Ct);
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        var spans = new Spans();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource("Microsoft.AspNetCore").AddHoldfastInstrumentation().AddProcessor(spans).Build();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration["DATABASE_URL"] = postgres.DatabaseUrlVia(proxy.Port);
        builder.Configuration["HOLDFAST_ENVIRONMENT"] = "test";
        builder.Services.AddHoldfast(builder.Configuration, options => options.DataSource.Name = "traced");
        await using var app = builder.Build();
        app.MapGet("/one", static async (HoldfastDataSource db, CancellationToken ct) => await db.ExecuteAsync(static async (connection, token) =>
        {
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            return (int)(await command.ExecuteScalarAsync(token))!;
        }, ct));
        app.MapHoldfastHealth();
        await app.StartAsync(Ct);
        using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        // Start-up done: from now on, only the test's calls connect through the proxy.
        var ready = Stopwatch.StartNew();
        while ((await http.GetAsync(new Uri("/health/ready", UriKind.Relative), Ct)).StatusCode != System.Net.HttpStatusCode.OK)
        {
            Assert.True(ready.Elapsed < TimeSpan.FromSeconds(20), "never ready");
            await Task.Delay(50, Ct);
        }

        spans.Clear();
        Assert.Equal("1", await http.GetStringAsync(new Uri("/one", UriKind.Relative), Ct));
        tracer.ForceFlush();
        var (request, call) = await RequestAndCallAsync(spans);
        Assert.Equal(request.TraceId, call.TraceId);
        Assert.Equal(ActivityKind.Client, call.Kind);
        Assert.Equal("postgresql", call.GetTagItem("db.system.name"));
        Assert.Equal("traced", call.GetTagItem("db.client.connection.pool.name"));
        Assert.Equal(ActivityStatusCode.Unset, call.Status);
        Assert.Contains(spans.All, s => s.Source.Name == "Npgsql" && s.ParentSpanId == call.SpanId);

        // A connect the proxy resets, then the path heals: the call succeeds on a retry, and says so. The heal comes as
        // soon as one attempt has failed, so the circuit (which opens only after several) never opens under a slow machine.
        spans.Clear();
        app.Services.GetRequiredService<HoldfastDataSource>().Inner.Clear();
        var accepted = proxy.AcceptedConnections;
        proxy.Reset();
        var retried = http.GetStringAsync(new Uri("/one", UriKind.Relative), Ct);
        var clock = Stopwatch.StartNew();
        while (proxy.AcceptedConnections == accepted && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(1, Ct);
        }

        proxy.Pass();
        Assert.Equal("1", await retried);
        tracer.ForceFlush();
        var (_, retriedCall) = await RequestAndCallAsync(spans);
        var retry = Assert.Single(retriedCall.Events, e => e.Name == "holdfast.retry" && e.Tags.Any(t => t is { Key: "holdfast.attempt", Value: 1 }));
        Assert.Contains(retry.Tags, t => t.Key == "holdfast.failure.kind" && t.Value is "refused" or "reset");
        Assert.Equal(ActivityStatusCode.Unset, retriedCall.Status);
    }

    [Fact]
    public async Task AFailedCall_HasStatusErrorAndItsFailureKind()
    {
        await using var postgres = await LocalPostgres.CreateAsync(cancellationToken: Ct);
        var spans = new Spans();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddHoldfastInstrumentation().AddProcessor(spans).Build();
        var url = $"postgres://{postgres.Username}:not-the-password@{postgres.Host}:{postgres.Port}/{postgres.Database}";
        var builder = new HoldfastDataSourceBuilder(url).UseTimeouts(HoldfastTimeouts.For(HoldfastEnvironment.Test));
        builder.Options.Name = "traced-failing";
        await using var db = builder.Build();

        await Assert.ThrowsAsync<DatabaseConnectionException>(async () => await db.ExecuteAsync(static (_, _) => ValueTask.FromResult(1), Ct));
        tracer.ForceFlush();

        var call = Assert.Single(spans.Calls("traced-failing"));
        Assert.Equal(ActivityStatusCode.Error, call.Status);
        Assert.Equal("authentication_failed", call.GetTagItem("holdfast.failure.kind"));
        Assert.Equal("authentication_failed", call.GetTagItem("error.type"));
        Assert.DoesNotContain(call.Tags, t => t.Value?.Contains("not-the-password", StringComparison.Ordinal) == true);
        Assert.DoesNotContain("not-the-password", call.StatusDescription ?? "", StringComparison.Ordinal);
    }

    /// <summary>This test's request and its one guarded call (other tests in this process trace their own data sources).</summary>
    /// <remarks>
    /// The server ends a request's span once the response is written, so the client can read the body first: wait for it.
    /// </remarks>
    private static async Task<(Activity Request, Activity Call)> RequestAndCallAsync(Spans spans)
    {
        var call = Assert.Single(spans.Calls("traced"));
        var clock = Stopwatch.StartNew();
        while (!spans.All.Any(s => s.SpanId == call.ParentSpanId) && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20, Ct);
        }

        var request = Assert.Single(spans.All, s => s.SpanId == call.ParentSpanId);
        Assert.Equal("Microsoft.AspNetCore", request.Source.Name);
        return (request, call);
    }

    /// <summary>Every span that ended while the provider ran, from any thread.</summary>
    private sealed class Spans : BaseProcessor<Activity>
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<Activity> ended = new();

        public IReadOnlyList<Activity> All => [.. ended];

        /// <summary>The guarded calls of the data source named <paramref name="pool"/>.</summary>
        public IReadOnlyList<Activity> Calls(string pool) =>
            [.. ended.Where(s => s.OperationName == "holdfast.execute" && (string?)s.GetTagItem("db.client.connection.pool.name") == pool)];

        public void Clear() => ended.Clear();

        public override void OnEnd(Activity data) => ended.Enqueue(data);
    }
}
