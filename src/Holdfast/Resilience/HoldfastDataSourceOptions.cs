using System.ComponentModel.DataAnnotations;
using Holdfast.Resilience;
using Holdfast.Telemetry;
using Holdfast.Timeouts;
using Holdfast.Topology;
using Microsoft.Extensions.Logging;

namespace Holdfast;

/// <summary>How a <see cref="HoldfastDataSource"/> guards its connections. Every value has a default that fits DESIGN.md.</summary>
public sealed class HoldfastDataSourceOptions
{
    /// <summary>The effective timeouts; resolved from the environment variables when null.</summary>
    public HoldfastTimeouts? Timeouts { get; set; }

    /// <summary>Explicit pressure indicators that stretch the timeouts.</summary>
    public PressureIndicators Pressure { get; set; } = PressureIndicators.None;

    /// <summary>The most pressure may stretch a timeout, as a multiple of its configured value.</summary>
    /// <value>2 by default; from 1 to 10.</value>
    [Range(1.0, 10.0)]
    public double PressureCeiling { get; set; } = PressureAwareTimeouts.DefaultCeilingFactor;

    /// <summary>
    /// The budget of one <see cref="HoldfastDataSource.OpenConnectionAsync(CancellationToken)"/>, retries included.
    /// Null (the default) uses the effective pool timeout, so a wait for a busy pool ends as pool exhaustion, not as a timeout.
    /// </summary>
    public TimeSpan? OpenBudget { get; set; }

    /// <summary>
    /// The default budget of one <see cref="HoldfastDataSource.ExecuteAsync{T}(Func{Npgsql.NpgsqlConnection, CancellationToken, ValueTask{T}}, CancellationToken)"/>:
    /// its connection, the operation and any retries. Null (the default) uses the environment's operation timeout
    /// (<c>Holdfast:Timeouts:Operation</c>: 5 s in development, 8 s in staging, 15 s in production).
    /// </summary>
    public TimeSpan? OperationBudget { get; set; }

    /// <summary>
    /// What to assume about a connection pooler in front of PostgreSQL (<c>Holdfast:Pooler:Mode</c>). <see cref="PoolerMode.Auto"/>
    /// (the default) detects one after the first successful open and, under transaction pooling, turns off Npgsql's
    /// automatic preparation and reset on close; <see cref="PoolerMode.Transaction"/> does so from the start;
    /// <see cref="PoolerMode.None"/> keeps every setting as given (a pooler that tracks prepared statements).
    /// </summary>
    public PoolerMode Pooler { get; set; } = PoolerMode.Auto;

    /// <summary>The per-attempt connect timeouts.</summary>
    public AttemptTimeoutOptions AttemptTimeout { get; } = new();

    /// <summary>The backoff between retries.</summary>
    public RetryOptions Retry { get; } = new();

    /// <summary>The circuit breaker.</summary>
    public CircuitBreakerOptions CircuitBreaker { get; } = new();

    /// <summary>The active recovery probe that closes an open circuit as soon as the database answers.</summary>
    public RecoveryOptions Recovery { get; } = new();

    /// <summary>
    /// Where the password of each new connection comes from — an IAM database token (Cloud SQL, RDS), an hour long —
    /// instead of the endpoint's. Holdfast asks it at most once per <see cref="PasswordRefreshInterval"/> for every pool it
    /// makes, and when the server refuses a token that worked before (expired, revoked), asks again at once and makes one
    /// more attempt before reporting the failure as permanent. The endpoint must then carry no password. Default none.
    /// </summary>
    public Func<CancellationToken, ValueTask<string>>? PasswordProvider { get; set; }

    /// <summary>How long a token from <see cref="PasswordProvider"/> is used before it is asked again.</summary>
    /// <value>10 minutes by default (IAM tokens last an hour); from one second to one day.</value>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PasswordRefreshInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Look at each rented connection (one non-blocking poll of its socket, ~0.6 µs, at most once a millisecond per
    /// connection) and discard one the server already
    /// ended — <c>pg_terminate_backend</c>, <c>idle_session_timeout</c>, a restart — so the caller gets a working
    /// connection instead of that one's error. Default true.
    /// </summary>
    public bool DiscardEndedConnections { get; set; } = true;

    /// <summary>The watch on the server's TLS certificate: its expiry warning and how often it is looked at.</summary>
    public TlsOptions Tls { get; } = new();

    /// <summary>The data source's name (Npgsql's pool name, and the <c>holdfast.data_source</c> tag); default: the application name.</summary>
    public string? Name { get; set; }

    /// <summary>Alert rules on connect time; default: the environment's <see cref="AlertRule.ConnectTimeFor"/>.</summary>
    public IList<AlertRule> AlertRules { get; } = [];

    /// <summary>Where alerts go; default: a <see cref="LoggingAlertSink"/> when <see cref="LoggerFactory"/> is set.</summary>
    public IList<IAlertSink> AlertSinks { get; } = [];

    /// <summary>The clock; replace it with a fake in tests.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where Holdfast logs; none when null.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The instruments to report to; <see cref="HoldfastInstruments.Shared"/> when null.</summary>
    public HoldfastInstruments? Instruments { get; set; }

    /// <summary>
    /// Runs on every <see cref="Npgsql.NpgsqlDataSourceBuilder"/> Holdfast creates for this endpoint: the main pool (when
    /// it is built), the recovery probe, the pooler check and, in ASP.NET Core, the health probe's pool and per-host looks
    /// and the admin pool.
    /// Put here what every connection needs — a password provider (<c>UsePeriodicPasswordProvider</c> for IAM database
    /// authentication), TLS callbacks, type mappings — so that no probe connects without it. Holdfast sets its own
    /// pool settings (size, pooling, application name) on the side pools after it runs.
    /// </summary>
    public Action<Npgsql.NpgsqlDataSourceBuilder>? ConfigureNpgsql { get; set; }

    /// <summary>
    /// Runs on the Polly pipeline builder before Holdfast adds its strategies, e.g. to turn on Polly's own telemetry
    /// (<c>ConfigureTelemetry</c> from Polly.Extensions). Adding strategies here puts them outside Holdfast's. While the
    /// circuit is closed, a rental of an idle pooled connection does not enter the pipeline at all (nor its telemetry),
    /// and an open that needs more has already been started when the pipeline runs.
    /// </summary>
    public Action<Polly.ResiliencePipelineBuilder>? ConfigurePipeline { get; set; }

    /// <summary>Every value outside its stated range, and every rule across values that is broken, each naming its setting.</summary>
    public IReadOnlyList<ConfigurationProblem> Validate() => [.. HoldfastDataSourceOptionsValidator.Validate(this)];
}

/// <summary>Backoff between retries (exponential with jitter, see <see cref="Backoff"/>).</summary>
public sealed class RetryOptions
{
    /// <summary>The first delay before jitter.</summary>
    /// <value>250 ms by default; from 1 ms to 1 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The largest delay before jitter.</summary>
    /// <value>10 s by default; from 1 ms to 10 min, and not below <see cref="BaseDelay"/>.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// The circuit breaker: it opens after <see cref="FailureThreshold"/> consecutive connection-level failures (refused,
/// reset, timed out, shutting down), whatever succeeded before them, so under load it opens within moments of the
/// database going away; it stays open for <see cref="BreakDuration"/> (unless a recovery probe closes it sooner), then
/// lets one probe call through. Permanent failures, pool exhaustion and an operation's own errors never count.
/// </summary>
public sealed class CircuitBreakerOptions
{
    /// <summary>Connection-level failures in a row that open the circuit.</summary>
    /// <value>5 by default; from 2 to 1000.</value>
    [Range(2, 1000)]
    public int FailureThreshold { get; set; } = 5;

    /// <summary>How long the circuit stays open before one call is let through to test the database.</summary>
    /// <value>60 s by default; from 0.5 s to 1 day.</value>
    [Range(typeof(TimeSpan), "00:00:00.500", "1.00:00:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// While the circuit is open, one background probe at a time (a new physical connection + <c>SELECT 1</c>) closes it
/// as soon as the database answers, backing off from <see cref="InitialDelay"/> up to <see cref="MaxDelay"/> with full
/// jitter (each wait a random share of the backoff, never below <see cref="AttemptSpacing"/>), so service follows the
/// database back within about half a second however long the outage was, and a fleet's probes do not fall in step.
/// </summary>
public sealed class RecoveryOptions
{
    /// <summary>Whether the probe runs. Without it, the circuit closes only after the break duration.</summary>
    /// <value>true by default.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>The delay before the first probe after the circuit opens; it doubles after each failed probe.</summary>
    /// <value>250 ms by default; from 10 ms to 1 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The longest wait between two probes. One connect every half second per instance is little for a database that
    /// refuses or is away, and it bounds how long service lags behind the database's return.
    /// </summary>
    /// <value>500 ms by default; from 10 ms to 1 day, and not below <see cref="InitialDelay"/>.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// While the path to the database is failing, at most one connection attempt starts per this interval from this
    /// instance (its pool, the recovery probe and the health probe together), however many callers wait; once one gets
    /// through, opens in flight grow 2, 3, 4, ... by one per success up to the pool's size. A fleet of N instances then
    /// tries a returning server at most N times per interval, not N × pool size at once. The default is twice the 100 ms
    /// the server should see between two attempts of one instance: on a loaded machine, the time from the pacer's
    /// go-ahead to the connect reaching the server varies by tens of milliseconds. Zero turns pacing off.
    /// </summary>
    /// <value>200 ms by default; from 0 to 10 s.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan AttemptSpacing { get; set; } = TimeSpan.FromMilliseconds(200);
}
