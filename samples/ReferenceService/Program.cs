using System.Reflection;
using Holdfast.Startup;
using Microsoft.AspNetCore.Identity;
using OpenTelemetry.Metrics;
using ReferenceService.Accounts;
using ReferenceService.Notes;

var builder = WebApplication.CreateBuilder(args);

// Container platforms give the port in PORT; listen on 127.0.0.1 unless LISTEN_ADDRESS (or ASPNETCORE_URLS / --urls) says otherwise.
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls($"http://{builder.Configuration["LISTEN_ADDRESS"] ?? "127.0.0.1"}:{builder.Configuration["PORT"] ?? "8080"}");
}

builder.Services.AddHoldfast(builder.Configuration, options => options.ApplicationName ??= "reference-service");
builder.Services.AddHoldfastStartupPhase<SchemaSetupPhase>();
builder.Services.AddSingleton<IPasswordHasher<Account>, PasswordHasher<Account>>();
builder.Services.AddSingleton<AccountStore>();
// The EF Core path: the notes, on Holdfast's data source, their schema from migrations at start-up.
builder.Services.AddDbContext<NotesDb>((sp, options) => options.UseHoldfast(sp));
builder.Services.AddHoldfastMigrations<NotesDb>();
// .NET's own runtime meter beside Holdfast's: heap after the last GC, working set, threads (what bench/soak watches).
builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddHoldfastInstrumentation().AddMeter("System.Runtime").AddPrometheusExporter());

var app = builder.Build();
app.UseExceptionHandler();
app.MapHoldfastHealth();
app.MapHoldfastDashboard();
app.MapPrometheusScrapingEndpoint();
app.MapAccounts();
app.MapNotes();

var started = TimeProvider.System.GetUtcNow();
app.MapGet("/status", (StartupOrchestrator startup, TimeProvider time) => new
{
    Service = "reference-service",
    Version = Assembly.GetEntryAssembly()?.GetName().Version?.ToString(),
    Environment = startup.Report.Environment.ToString().ToLowerInvariant(),
    Startup = startup.Report.Outcome.ToString(),
    UptimeSeconds = Math.Round((time.GetUtcNow() - started).TotalSeconds, 1),
});

app.Lifetime.ApplicationStarted.Register(() =>
{
    foreach (var url in app.Urls)
    {
        Console.WriteLine($"reference-service listening on {url} — try {url}/status, {url}/health, {url}/health/ready, {url}/metrics, and the dashboard at {url}/holdfast");
    }
});

return await app.RunWithHoldfastAsync();
