using System.CommandLine;
using Holdfast.Cli.Common;
using Holdfast.Configuration;
using Holdfast.Faults;
using Holdfast.Resilience;
using Holdfast.Timeouts;
using Npgsql;

namespace Holdfast.Cli.Wait;

/// <summary>
/// <c>holdfast wait</c>: for container entrypoints and init containers — blocks until the database answers (exit 0) or
/// the budget ends (exit 3); a permanent failure ends the wait at once (exit 4).
/// </summary>
internal static class WaitCommand
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The least time a new attempt is given: a process's first successful connect takes 150–250 ms on this machine
    /// (more over TLS), so an attempt squeezed into less could only time out.
    /// </summary>
    private static readonly TimeSpan MinimumAttempt = TimeSpan.FromMilliseconds(500);

    public static Command Create(CliOptions common, CliConsole console)
    {
        var max = new Option<TimeSpan?>("--max")
        {
            Description = "How long to wait at most (e.g. 60s, 2m); default: the environment's initialization timeout.",
            CustomParser = CliParsing.Duration,
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress lines on stderr." };
        var json = CliOptions.JsonFlag();
        var command = new Command("wait",
            "Block until the database answers a new connection and SELECT 1 (exit 0), or the budget ends (exit 3). A permanent failure " +
            "(authentication, missing database, TLS, configuration) ends the wait at once (exit 4, or 2) with the fix. For container " +
            "entrypoints and Kubernetes init containers.\n\n" +
            "Examples:\n" +
            "  holdfast wait --max 60s && exec dotnet MyService.dll\n" +
            "  holdfast wait --max 2m --quiet --json")
        {
            max, quiet, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var configuration = CliConfiguration.Load(environment: parse.GetValue(common.Environment));
            var endpoint = DatabaseEndpoint.Resolve(configuration, parse.GetValue(common.Connection));
            var environment = parse.GetValue(common.Environment) is { } forced ? new DetectedEnvironment(forced, "--environment") : null;
            var timeouts = CliTimeouts.Resolve(configuration, endpoint, environment);
            var budget = parse.GetValue(max) ?? timeouts.Profile.Initialization;
            var result = await WaitAsync(endpoint, budget, timeouts.Profile.Connection,
                parse.GetValue(quiet) ? null : console.Error, TimeProvider.System, cancellationToken);
            if (parse.GetValue(json))
            {
                console.Output.WriteLine(CliJson.Serialize(new
                {
                    result.Ready,
                    result.Attempts,
                    ElapsedMs = CliJson.Milliseconds(result.Elapsed),
                    BudgetMs = CliJson.Milliseconds(budget),
                    Endpoint = endpoint.ToString(),
                    Kind = result.Failure?.Kind,
                    Diagnosis = result.Failure?.Diagnosis,
                    ExitCode = result.ExitCode,
                }));
            }
            else
            {
                console.Output.WriteLine(result.Ready
                    ? $"ready: {endpoint} answered after {result.Attempts} attempt{(result.Attempts == 1 ? "" : "s")} in {DurationText.Format(result.Elapsed)}"
                    : $"not ready: {result.Failure!.Kind} after {result.Attempts} attempt{(result.Attempts == 1 ? "" : "s")} in {DurationText.Format(result.Elapsed)} " +
                      $"(budget {DurationText.Format(budget)}). {result.Failure.Diagnosis}");
            }

            return result.ExitCode;
        });
        return command;
    }

    private static async Task<WaitResult> WaitAsync(DatabaseEndpoint endpoint, TimeSpan budget, TimeSpan connectionTimeout, TextWriter? progress, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var settings = endpoint.ToConnectionStringBuilder("holdfast-wait");
        settings.Pooling = false;
        var attempts = 0;
        DatabaseFailure? last = null;
        for (var retry = 0; ; retry++)
        {
            var remaining = budget - time.GetElapsedTime(started);
            // The pause below leaves MinimumAttempt for the next attempt; under a tenth of it is the budget's end.
            if (remaining <= (attempts == 0 ? TimeSpan.Zero : MinimumAttempt / 10))
            {
                return new WaitResult(false, attempts, time.GetElapsedTime(started), last ?? FailureClassifier.FromKind(FailureKind.Timeout, "the budget ended", endpoint));
            }

            attempts++;
            var attemptTimeout = remaining < connectionTimeout ? remaining : connectionTimeout;
            settings.Timeout = DatabaseEndpoint.ToNpgsqlTimeoutSeconds(attemptTimeout);
            using var expiry = new CancellationTokenSource(attemptTimeout, time);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, expiry.Token);
            try
            {
                await using var connection = await AbandonableOpen.OpenAsync(settings.ConnectionString, deadline.Token);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(deadline.Token);
                return new WaitResult(true, attempts, time.GetElapsedTime(started), null);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
            {
                // An attempt cut short by the end of the budget says less than the failure before it: keep that one.
                var failure = ex is not OperationCanceledException ? FailureClassifier.Classify(ex, endpoint)
                    : attemptTimeout < connectionTimeout && last is not null ? last
                    : FailureClassifier.FromKind(FailureKind.Timeout, $"no answer within {DurationText.Format(attemptTimeout)}", endpoint);
                last = failure;
                if (!failure.IsTransient && failure.Kind != FailureKind.Unknown)
                {
                    return new WaitResult(false, attempts, time.GetElapsedTime(started), last);
                }
            }

            // Back off, but leave room for one last attempt before the budget ends: the database may appear in that time.
            var room = budget - time.GetElapsedTime(started) - MinimumAttempt;
            if (room <= TimeSpan.Zero)
            {
                // Too little left for another attempt: the rest of the budget, then the verdict.
                var rest = budget - time.GetElapsedTime(started);
                if (rest > TimeSpan.Zero)
                {
                    await Task.Delay(rest, time, cancellationToken);
                }

                continue;
            }

            var delay = Backoff.Ceiling(retry, FirstDelay, LongestDelay);
            var pause = delay < room ? delay : room;
            progress?.WriteLine($"holdfast wait: {endpoint.Hosts[0]} {last!.Kind} (attempt {attempts}, {DurationText.Format(time.GetElapsedTime(started))} of {DurationText.Format(budget)}); next try in {DurationText.Format(pause)}");
            await Task.Delay(pause, time, cancellationToken);
        }
    }

    private sealed record WaitResult(bool Ready, int Attempts, TimeSpan Elapsed, DatabaseFailure? Failure)
    {
        public int ExitCode => Ready ? ExitCodes.Healthy : Failure!.ExitCode;
    }
}
