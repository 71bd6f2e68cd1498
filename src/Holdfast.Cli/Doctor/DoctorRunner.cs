using Holdfast.Configuration;
using Holdfast.Timeouts;
using Npgsql;

namespace Holdfast.Cli.Doctor;

/// <summary>
/// Probes a connection stage by stage — parse, resolve (or socket present), TCP, TLS, authentication,
/// first query, server facts, timed connects — each within the stage timeout. After a failure, the stages
/// that cannot succeed are shown as skipped, not run.
/// </summary>
internal sealed partial class DoctorRunner(DoctorSettings settings, TimeProvider time)
{
    private readonly List<StageResult> stages = [];
    private DatabaseEndpoint? endpoint;
    private HoldfastTimeouts? timeouts;
    private DetectedEnvironment? environment;
    private TimeSpan stageTimeout;
    private ServerFacts? server;
    private ConnectsInfo? connects;
    private PoolerReport? pooler;
    private IReadOnlyList<HostReport>? hosts;

    private StageProgress? running;

    /// <summary>The stage under way, when it began and its limit; null between stages. Read by the live line.</summary>
    public StageProgress? Running => Volatile.Read(ref running);

    /// <summary>The connection the authentication stage opened; the first-query and server-facts stages use it.</summary>
    private NpgsqlConnection? session;

    public async Task<DoctorReport> RunAsync(CancellationToken cancellationToken)
    {
        stages.Add(Parse());
        if (endpoint is not null && timeouts is not null)
        {
            await ProbeAsync(endpoint, cancellationToken);
        }
        else
        {
            SkipRemaining("the configuration could not be read");
        }

        return new DoctorReport(environment?.Environment.ToName() ?? "unknown", environment?.Source ?? "unknown",
            endpoint is null ? null : EndpointInfo.From(endpoint), timeouts is null ? [] : TimeoutInfo.From(timeouts),
            Common.CliJson.Milliseconds(stageTimeout), stages, tls, server, pooler, hosts, connects, Verdict.From(stages));
    }

    private StageResult Parse()
    {
        var started = time.GetTimestamp();
        try
        {
            environment = settings.Environment is { } forced
                ? new DetectedEnvironment(forced, "--environment")
                : EnvironmentDetection.Detect(settings.Configuration);
            endpoint = DatabaseEndpoint.Resolve(settings.Configuration, settings.Connection);
            timeouts = Common.CliTimeouts.Resolve(settings.Configuration, endpoint, environment);
            stageTimeout = settings.StageTimeout ?? timeouts.Profile.Connection;
            var notes = endpoint.Warnings.ToList();
            var detail = $"{endpoint.SourceName} → {string.Join(", ", endpoint.Hosts)}, database {endpoint.Database}, user {endpoint.Username}" +
                         (notes.Count > 0 ? "; " + string.Join("; ", notes) : "");
            return new StageResult(StageNames.Parse, notes.Count > 0 ? StageStatus.Warning : StageStatus.Ok, time.GetElapsedTime(started), detail);
        }
        catch (HoldfastConfigurationException ex)
        {
            var failure = FailureClassifier.Classify(ex);
            return new StageResult(StageNames.Parse, StageStatus.Failed, time.GetElapsedTime(started), ex.Message, failure);
        }
    }

    private async Task ProbeAsync(DatabaseEndpoint target, CancellationToken cancellationToken)
    {
        var socket = target.SocketDirectory is not null;
        if (!await RunAsync(socket ? StageNames.Socket : StageNames.Resolve, ct => socket ? CheckSocketAsync(target) : ResolveAsync(target, ct), cancellationToken) ||
            !await RunAsync(StageNames.Tcp, ct => ConnectTransportAsync(target, ct), cancellationToken) ||
            !await RunAsync(StageNames.Tls, ct => NegotiateTlsAsync(target, ct), cancellationToken))
        {
            await FinishAfterFailureAsync(target, cancellationToken);
            return;
        }

        try
        {
            if (!await RunAsync(StageNames.Authentication, ct => AuthenticateAsync(target, ct), cancellationToken) ||
                !await RunAsync(StageNames.FirstQuery, ct => FirstQueryAsync(session!, ct), cancellationToken, FailureOperation.Command) ||
                !await RunAsync(StageNames.ServerFacts, ct => ReadServerFactsAsync(session!, ct), cancellationToken, FailureOperation.Command))
            {
                await FinishAfterFailureAsync(target, cancellationToken);
                return;
            }
        }
        finally
        {
            if (session is not null)
            {
                await session.DisposeAsync();
            }
        }

        if (target.IsMultiHost)
        {
            await RunAsync(StageNames.Hosts, ct => WalkHostsAsync(target, ct), cancellationToken);
        }

        await RunAsync(StageNames.Connects, ct => TimedConnectsAsync(target, ct), cancellationToken, budget: stageTimeout * Math.Max(1, settings.Samples));
    }

    /// <summary>
    /// After a failed stage: the rest is skipped, except that every host of a multi-host endpoint is still walked, since a
    /// failure there (no host in the role asked for, the first host down) is exactly when each host's own answer matters.
    /// </summary>
    private async Task FinishAfterFailureAsync(DatabaseEndpoint target, CancellationToken cancellationToken)
    {
        if (target.IsMultiHost)
        {
            SkipUntil(StageNames.Hosts, "an earlier stage failed");
            await RunAsync(StageNames.Hosts, ct => WalkHostsAsync(target, ct), cancellationToken);
        }

        SkipRemaining("an earlier stage failed");
    }

    /// <summary>Runs one stage inside its deadline; returns false when it failed.</summary>
    private async Task<bool> RunAsync(string name, Func<CancellationToken, Task<StageOutcome>> body, CancellationToken cancellationToken,
        FailureOperation operation = FailureOperation.Connect, TimeSpan? budget = null)
    {
        var limit = budget ?? stageTimeout;
        var started = time.GetTimestamp();
        Volatile.Write(ref running, new StageProgress(name, started, limit));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        StageResult result;
        try
        {
            // WaitAsync bounds work that ignores cancellation, such as a synchronous DNS lookup.
            var outcome = await body(deadline.Token).WaitAsync(limit, time, cancellationToken);
            result = new StageResult(name, outcome.Status, time.GetElapsedTime(started), outcome.Detail, outcome.Failure);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is OperationCanceledException or TimeoutException)
        {
            var failure = FailureClassifier.FromKind(operation == FailureOperation.Command ? FailureKind.QueryTimeout : FailureKind.Timeout,
                $"no answer within {Timeouts.DurationText.Format(limit)} at the {name} stage", endpoint);
            result = new StageResult(name, StageStatus.Failed, time.GetElapsedTime(started), failure.Message, failure);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            var failure = FailureClassifier.Classify(ex, endpoint, operation);
            result = new StageResult(name, StageStatus.Failed, time.GetElapsedTime(started), failure.Message, failure);
        }

        Volatile.Write(ref running, null);
        stages.Add(result);
        return result.Status != StageStatus.Failed;
    }

    private void SkipRemaining(string reason)
    {
        foreach (var name in StageNames.For(endpoint?.IsMultiHost == true).Skip(stages.Count))
        {
            stages.Add(StageResult.Skipped(name, reason));
        }
    }

    /// <summary>Marks the stages before <paramref name="next"/> that have not run as skipped.</summary>
    private void SkipUntil(string next, string reason)
    {
        foreach (var name in StageNames.For(endpoint?.IsMultiHost == true).Skip(stages.Count).TakeWhile(n => n != next))
        {
            stages.Add(StageResult.Skipped(name, reason));
        }
    }

    /// <summary>A connection string for new physical connections (no pooling), bounded by the stage timeout.</summary>
    private string PhysicalConnectionString(DatabaseEndpoint target)
    {
        var builder = target.ToConnectionStringBuilder("holdfast-doctor");
        builder.Pooling = false;
        builder.Timeout = DatabaseEndpoint.ToNpgsqlTimeoutSeconds(stageTimeout);
        builder.CommandTimeout = DatabaseEndpoint.ToNpgsqlTimeoutSeconds(stageTimeout);
        return builder.ConnectionString;
    }
}
