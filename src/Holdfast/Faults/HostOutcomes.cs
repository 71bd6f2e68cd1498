using Npgsql;

namespace Holdfast.Faults;

/// <summary>
/// What happened at each host of a multi-host endpoint when Npgsql found none suitable: the failures it collected (one
/// per host it tried, each "Failed to connect to HOST:PORT" or the server's error) and the hosts it skipped.
/// </summary>
internal static class HostOutcomes
{
    /// <summary>The per-host failures Npgsql collected, if any (none when every host was skipped on its remembered state).</summary>
    public static IReadOnlyList<Exception> Failures(NpgsqlException noSuitableHost) =>
        noSuitableHost.InnerException is AggregateException aggregate ? aggregate.InnerExceptions : [];

    /// <summary>
    /// True when every host of <paramref name="endpoint"/> failed: for hosts written as IP addresses or sockets, each has a
    /// failure naming it (Npgsql may try a host twice, so counting is not enough there); for host names, there are at least
    /// as many failures as hosts.
    /// </summary>
    public static bool EveryHostFailed(IReadOnlyList<Exception> failures, DatabaseEndpoint? endpoint)
    {
        if (failures.Count == 0)
        {
            return false;
        }

        // Npgsql names the address it connected to ("Failed to connect to 10.0.0.1:5432"): for IP addresses and sockets
        // that is the host as written; a host name appears resolved (or not at all, when it does not resolve), so then
        // only the count can tell: at least one failure per host.
        return endpoint is null || !endpoint.Hosts.All(h => h.IsUnixSocket || System.Net.IPAddress.TryParse(h.Host, out _))
            ? failures.Count >= (endpoint?.Hosts.Count ?? 1)
            : endpoint.Hosts.All(h => failures.Any(f => f.Message.Contains(h.ToString(), StringComparison.Ordinal)));
    }

    /// <summary>One sentence per host: what it answered, or that it was skipped.</summary>
    public static string Describe(Exception exception, DatabaseEndpoint? endpoint)
    {
        var role = endpoint?.TargetSessionAttributes ?? "any";
        if (FailureClassifier.FindNoSuitableHost(exception) is not { } noSuitable)
        {
            // A read-only server refused a write (25006): the host that answered is no longer the primary.
            return endpoint is null ? "" : $"the server at {string.Join(", ", endpoint.Hosts)} is read-only (a standby, or a demoted primary)";
        }

        var failures = Failures(noSuitable).ToList();
        if (endpoint is not null && !endpoint.Hosts.All(h => h.IsUnixSocket || System.Net.IPAddress.TryParse(h.Host, out _)))
        {
            // Host names: Npgsql's messages carry the resolved address, so failures cannot be tied to a name here.
            var answers = failures.Select(f => $"{What(FailureClassifier.ClassifyKind(f, endpoint))} ({f.Message})").Distinct().ToList();
            return (answers.Count == 0 ? "every host was skipped: " : string.Join("; ", answers) + "; any other host was ") +
                   $"not usable as '{role}' (found in another role, or remembered as offline or in another role)";
        }

        var parts = new List<string>();
        foreach (var host in endpoint?.Hosts ?? [])
        {
            var name = host.ToString();
            var failure = failures.FirstOrDefault(f => f.Message.Contains(name, StringComparison.Ordinal));
            if (failure is not null)
            {
                failures.Remove(failure);
                parts.Add($"{name} {What(FailureClassifier.ClassifyKind(failure, endpoint))}");
            }
            else
            {
                parts.Add($"{name} was not usable as '{role}' (found in another role, or remembered as offline or in another role)");
            }
        }

        parts.AddRange(failures.Select(f => $"a host answered {FailureClassifier.ClassifyKind(f, endpoint)}: {f.Message}"));
        return string.Join("; ", parts);
    }

    private static string What(FailureKind kind) => kind switch
    {
        FailureKind.Refused => "refused the connection (down)",
        FailureKind.Timeout => "did not answer in time",
        FailureKind.Reset => "closed the connection",
        FailureKind.HostNotFound => "does not resolve",
        FailureKind.ServerStarting => "is starting up or recovering (57P03)",
        FailureKind.ServerShuttingDown => "is shutting down",
        FailureKind.TooManyConnections => "has no free connection slots (53300)",
        _ => $"failed: {kind}",
    };
}
