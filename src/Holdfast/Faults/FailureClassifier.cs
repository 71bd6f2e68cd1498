using System.Net.Sockets;
using Holdfast.Configuration;
using Holdfast.Faults;
using Holdfast.Tls;
using Npgsql;

namespace Holdfast;

/// <summary>
/// Turns an exception into a <see cref="DatabaseFailure"/>: its <see cref="FailureKind"/>, whether a retry
/// can help, and a diagnosis with the fix. Builds on Npgsql's <c>IsTransient</c> and corrects its edges:
/// pool exhaustion is its own kind and not retried, a command timeout is a query timeout, and the
/// SQLSTATEs of authentication and missing databases are permanent.
/// </summary>
public static class FailureClassifier
{
    private const string PoolExhaustedPrefix = "The connection pool has been exhausted";

    // Npgsql's multi-host data source: every host failed or none is in the role target_session_attrs asks for.
    private const string NoSuitableHost = "No suitable host was found";
    private const string UnableToConnectToSuitableHost = "Unable to connect to a suitable host";

    /// <summary>Classifies a failure and writes its diagnosis.</summary>
    /// <param name="exception">The failure.</param>
    /// <param name="endpoint">The endpoint, for diagnoses that name the host, socket or user; the password is removed from messages.</param>
    /// <param name="operation">What was being done; a timeout during <see cref="FailureOperation.Command"/> is a query timeout.</param>
    public static DatabaseFailure Classify(Exception exception, DatabaseEndpoint? endpoint = null, FailureOperation operation = FailureOperation.Connect)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var kind = ClassifyKind(exception, endpoint, operation);
        var postgres = Find<PostgresException>(exception);
        var transient = kind == FailureKind.Unknown ? IsTransientByNpgsql(exception) : kind.IsTransient();
        var message = SecretRedactor.Redact(Describe(exception), endpoint);
        var hosts = kind == FailureKind.Failover ? SecretRedactor.Redact(HostOutcomes.Describe(exception, endpoint), endpoint) : null;
        var diagnosis = kind == FailureKind.Tls && TlsFailures.Find(exception) is { } tls
            ? TlsFailures.Describe(tls, endpoint, TlsFailures.Observation(exception), message)
            : FailureDiagnosis.Describe(kind, endpoint, postgres, message, hosts);
        return new DatabaseFailure(kind, transient, postgres?.SqlState, message, diagnosis);
    }

    /// <summary>A failure of a known kind that no exception carries (e.g. a missing socket found by looking at the disk).</summary>
    /// <param name="kind">The kind.</param>
    /// <param name="message">What was observed, without secrets.</param>
    /// <param name="endpoint">The endpoint, for diagnoses that name the host, socket or user.</param>
    public static DatabaseFailure FromKind(FailureKind kind, string message, DatabaseEndpoint? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        message = SecretRedactor.Redact(message, endpoint);
        return new DatabaseFailure(kind, kind.IsTransient(), null, message, FailureDiagnosis.Describe(kind, endpoint, null, message));
    }

    /// <summary>The failure a TLS handshake of Holdfast's own found (<see cref="TlsObservation.Problem"/>), with its diagnosis.</summary>
    /// <param name="seen">What the handshake saw; its problem must not be <see cref="TlsProblem.None"/>.</param>
    /// <param name="endpoint">The endpoint.</param>
    internal static DatabaseFailure FromTls(TlsObservation seen, DatabaseEndpoint endpoint)
    {
        var message = TlsDiagnosisText.Summary(seen);
        return new DatabaseFailure(FailureKind.Tls, false, null, message, TlsFailures.Describe(seen.Problem, endpoint, seen, message));
    }

    /// <summary>Only the kind, without building the diagnosis text.</summary>
    /// <param name="exception">The failure.</param>
    /// <param name="endpoint">The endpoint, used to tell a missing Unix socket from a refused one.</param>
    /// <param name="operation">What was being done.</param>
    public static FailureKind ClassifyKind(Exception exception, DatabaseEndpoint? endpoint = null, FailureOperation operation = FailureOperation.Connect)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (Find<HoldfastConfigurationException>(exception) is not null)
        {
            return FailureKind.Configuration;
        }

        if (Find<NpgsqlException>(exception, IsForeignProtocol) is not null)
        {
            return FailureKind.NotPostgres;
        }

        // Before the SQLSTATEs: a server that requires TLS refuses a plain connection with 28000 "no encryption".
        if (TlsFailures.Find(exception) is not null)
        {
            return FailureKind.Tls;
        }

        if (FindNoSuitableHost(exception) is { } noSuitableHost)
        {
            // A host that refused for good (a wrong password on every host comes as that PostgresException alone) is what
            // to fix; every host failing the same way is that failure (all refused: the whole cluster is down); anything
            // else is hosts down or in the wrong role: a failover.
            var failures = HostOutcomes.Failures(noSuitableHost);
            var kinds = failures.Select(f => ClassifyKind(f, endpoint, operation)).ToList();
            if (kinds.FirstOrDefault(k => k.IsPermanent()) is var permanent && permanent.IsPermanent())
            {
                return permanent;
            }

            return HostOutcomes.EveryHostFailed(failures, endpoint) && kinds.Distinct().Count() == 1 ? kinds[0] : FailureKind.Failover;
        }

        if (Find<PostgresException>(exception) is { } postgres && FromSqlState(postgres) is { } serverKind)
        {
            return serverKind;
        }

        if (Find<NpgsqlException>(exception, e => e.Message.StartsWith(PoolExhaustedPrefix, StringComparison.Ordinal)) is not null)
        {
            return FailureKind.PoolExhausted;
        }

        if (Find<NpgsqlException>(exception, e => e.Message.Contains("SSL", StringComparison.Ordinal)) is not null)
        {
            return FailureKind.Tls;
        }

        if (Find<SocketException>(exception) is { } socket)
        {
            return FromSocketError(socket.SocketErrorCode, endpoint);
        }

        if (Find<TimeoutException>(exception) is not null || Find<OperationCanceledException>(exception) is not null)
        {
            return operation == FailureOperation.Command ? FailureKind.QueryTimeout : FailureKind.Timeout;
        }

        if (Find<EndOfStreamException>(exception) is not null || Find<IOException>(exception) is not null)
        {
            return FailureKind.Reset;
        }

        return exception is ArgumentException ? FailureKind.Configuration : FailureKind.Unknown;
    }

    private static FailureKind? FromSqlState(PostgresException exception) => exception.SqlState switch
    {
        "28P01" or "28000" => FailureKind.AuthenticationFailed,
        "3D000" => FailureKind.DatabaseMissing,
        "53300" => FailureKind.TooManyConnections,
        "57P03" when exception.MessageText.Contains("shutting down", StringComparison.OrdinalIgnoreCase) => FailureKind.ServerShuttingDown,
        "57P03" => FailureKind.ServerStarting,
        // 57P05: the server ended a session idle past idle_session_timeout.
        "57P01" or "57P02" or "57P05" => FailureKind.ServerShuttingDown,
        "57014" => FailureKind.QueryTimeout,
        "25006" => FailureKind.Failover,
        // A prepared statement another client created, or one a reset removed: a transaction-mode pooler in between.
        "42P05" or "26000" => FailureKind.Configuration,
        _ when exception.SqlState.StartsWith("08", StringComparison.Ordinal) => FailureKind.Reset,
        _ => null,
    };

    private static FailureKind FromSocketError(SocketError error, DatabaseEndpoint? endpoint) => error switch
    {
        SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => FailureKind.HostNotFound,
        SocketError.TimedOut => FailureKind.Timeout,
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown or SocketError.NotConnected => FailureKind.Reset,
        SocketError.ConnectionRefused or SocketError.AddressNotAvailable when endpoint?.SocketDirectory is not null &&
                                                                           UnixSocketProbe.Check(endpoint.Hosts[0]) != UnixSocketState.Present
            => FailureKind.SocketMissing,
        SocketError.AddressNotAvailable when endpoint is null => FailureKind.SocketMissing,
        _ => FailureKind.Refused,
    };

    /// <summary>Npgsql's words for an answer that is not PostgreSQL's protocol (an HTTP server answering the SSL request).</summary>
    private static bool IsForeignProtocol(NpgsqlException exception) => exception is not PostgresException &&
        (exception.Message.StartsWith("Received unknown response", StringComparison.Ordinal) ||
         exception.Message.StartsWith("Unknown message code", StringComparison.Ordinal));

    /// <summary>A write refused because the transaction or the server is read-only (25006).</summary>
    internal static bool IsReadOnlyRefusal(Exception exception) => Find<PostgresException>(exception) is { SqlState: "25006" };

    /// <summary>A prepared statement already present (42P05) or missing (26000): what a transaction-mode pooler does to them.</summary>
    internal static bool IsPreparedStatementClash(Exception exception) =>
        Find<PostgresException>(exception) is { SqlState: "42P05" or "26000" };

    /// <summary>Npgsql's "no suitable host" failure of a multi-host endpoint, when that is what <paramref name="exception"/> is.</summary>
    internal static NpgsqlException? FindNoSuitableHost(Exception exception) =>
        Find<NpgsqlException>(exception, e => e is not PostgresException &&
            (e.Message.StartsWith(NoSuitableHost, StringComparison.Ordinal) || e.Message.StartsWith(UnableToConnectToSuitableHost, StringComparison.Ordinal)));

    /// <summary>Npgsql's own verdict (<c>IsTransient</c>) for failures Holdfast does not recognise.</summary>
    internal static bool IsTransientByNpgsql(Exception exception) =>
        Find<PostgresException>(exception)?.IsTransient ?? Find<NpgsqlException>(exception)?.IsTransient ?? false;

    private static string Describe(Exception exception)
    {
        var innermost = exception;
        while (innermost.InnerException is { } inner && innermost is not PostgresException)
        {
            innermost = inner;
        }

        return innermost == exception || innermost.Message == exception.Message
            ? exception.Message
            : $"{exception.Message} ({innermost.Message})";
    }

    internal static T? Find<T>(Exception exception, Func<T, bool>? predicate = null)
        where T : Exception
    {
        for (var current = exception; current is not null; current = Next(current))
        {
            if (current is T match && (predicate is null || predicate(match)))
            {
                return match;
            }
        }

        return null;
    }

    private static Exception? Next(Exception exception) =>
        exception is AggregateException { InnerExceptions.Count: > 0 } aggregate ? aggregate.InnerExceptions[0] : exception.InnerException;
}
