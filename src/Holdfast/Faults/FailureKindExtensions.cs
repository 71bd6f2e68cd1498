using Holdfast.Faults;

namespace Holdfast;

/// <summary>Facts about each <see cref="FailureKind"/>.</summary>
public static class FailureKindExtensions
{
    /// <summary>
    /// True for kinds a retry can cure (the network, the server's state or its capacity). Pool exhaustion and
    /// query timeouts are not: retrying them only adds load. <see cref="FailureKind.Unknown"/> is decided per
    /// failure from Npgsql's own <c>IsTransient</c>, so this returns false for it.
    /// </summary>
    /// <param name="kind">The kind.</param>
    public static bool IsTransient(this FailureKind kind) => kind is
        FailureKind.Timeout or FailureKind.Refused or FailureKind.HostNotFound or FailureKind.SocketMissing or
        FailureKind.Reset or FailureKind.TooManyConnections or FailureKind.ServerStarting or FailureKind.ServerShuttingDown or
        FailureKind.Failover;

    /// <summary>True for kinds that no amount of waiting cures: they need a change of configuration or credentials.</summary>
    /// <param name="kind">The kind.</param>
    public static bool IsPermanent(this FailureKind kind) => kind is
        FailureKind.AuthenticationFailed or FailureKind.DatabaseMissing or FailureKind.Configuration or FailureKind.Tls or FailureKind.NotPostgres;

    /// <summary>
    /// True for the infrastructure kinds a staging bypass may tolerate (timeout, refused, too many connections,
    /// server starting, failover).
    /// </summary>
    /// <param name="kind">The kind.</param>
    public static bool IsInfrastructure(this FailureKind kind) => kind is
        FailureKind.Timeout or FailureKind.Refused or FailureKind.TooManyConnections or FailureKind.ServerStarting or FailureKind.Failover;

    /// <summary>
    /// The process exit code for a failure of this kind, the same for every command and for a failed start:
    /// 2 invalid configuration, 4 rejected for a permanent reason, 3 anything else.
    /// </summary>
    /// <param name="kind">The kind.</param>
    public static int ToExitCode(this FailureKind kind) => kind switch
    {
        FailureKind.Configuration => ExitCodes.InvalidConfiguration,
        _ when kind.IsPermanent() => ExitCodes.Permanent,
        _ => ExitCodes.Unavailable,
    };
}
