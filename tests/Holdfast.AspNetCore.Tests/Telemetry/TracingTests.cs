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
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource("Microsoft.AspNetCore").AddHoldfastInstrumentation().AddInMemoryExporter(spans).Build();
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
        await app.StartAsync(Ct);
        using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

        Assert.Equal("1", await http.GetStringAsync(new Uri("/one", UriKind.Relative), Ct));
        tracer.ForceFlush();
        var (request, call) = RequestAndCall(spans);
        Assert.Equal(request.TraceId, call.TraceId);
        Assert.Equal(ActivityKind.Client, call.Kind);
        Assert.Equal("postgresql", call.GetTagItem("db.system.name"));
        Assert.Equal("traced", call.GetTagItem("db.client.connection.pool.name"));
        Assert.Equal(ActivityStatusCode.Unset, call.Status);
        Assert.Contains(spans, s => s.Source.Name == "Npgsql" && s.ParentSpanId == call.SpanId);

        // Refused connects until the proxy lets them through: the call succeeds on a retry, and says so.
        spans.Clear();
        app.Services.GetRequiredService<HoldfastDataSource>().Inner.Clear();
        proxy.Refuse();
        var retried = http.GetStringAsync(new Uri("/one", UriKind.Relative), Ct);
        // Long enough for the first attempt to be refused, well within the test profile's operation budget (5 s).
        await Task.Delay(500, Ct);
        proxy.Pass();
        Assert.Equal("1", await retried);
        tracer.ForceFlush();
        var (_, retriedCall) = RequestAndCall(spans);
        var retry = Assert.Single(retriedCall.Events, e => e.Name == "holdfast.retry" && e.Tags.Any(t => t is { Key: "holdfast.attempt", Value: 1 }));
        Assert.Contains(retry.Tags, t => t.Key == "holdfast.failure.kind" && t.Value is "refused" or "reset");
        Assert.Equal(ActivityStatusCode.Unset, retriedCall.Status);
    }

    [Fact]
    public async Task AFailedCall_HasStatusErrorAndItsFailureKind()
    {
        await using var postgres = await LocalPostgres.CreateAsync(cancellationToken: Ct);
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddHoldfastInstrumentation().AddInMemoryExporter(spans).Build();
        var url = $"postgres://{postgres.Username}:not-the-password@{postgres.Host}:{postgres.Port}/{postgres.Database}";
        await using var db = new HoldfastDataSourceBuilder(url).UseTimeouts(HoldfastTimeouts.For(HoldfastEnvironment.Test)).Build();

        await Assert.ThrowsAsync<DatabaseConnectionException>(async () => await db.ExecuteAsync(static (_, _) => ValueTask.FromResult(1), Ct));
        tracer.ForceFlush();

        var call = Assert.Single(spans, s => s.OperationName == "holdfast.execute");
        Assert.Equal(ActivityStatusCode.Error, call.Status);
        Assert.Equal("authentication_failed", call.GetTagItem("holdfast.failure.kind"));
        Assert.Equal("authentication_failed", call.GetTagItem("error.type"));
        Assert.DoesNotContain(call.Tags, t => t.Value?.Contains("not-the-password", StringComparison.Ordinal) == true);
        Assert.DoesNotContain("not-the-password", call.StatusDescription ?? "", StringComparison.Ordinal);
    }

    private static (Activity Request, Activity Call) RequestAndCall(IReadOnlyList<Activity> spans)
    {
        var request = Assert.Single(spans, s => s.Source.Name == "Microsoft.AspNetCore");
        var call = Assert.Single(spans, s => s.OperationName == "holdfast.execute");
        Assert.Equal(request.SpanId, call.ParentSpanId);
        return (request, call);
    }
}
