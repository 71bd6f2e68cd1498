using System.Net.Sockets;
using System.Security.Authentication;
using Holdfast.Faults;
using Npgsql;

namespace Holdfast.Tests.Faults;

/// <summary>Classification of exceptions as Npgsql raises them; the real-server counterparts are in <see cref="FailureClassifierRealTests"/>.</summary>
public sealed class FailureClassifierTests
{
    [Theory]
    [InlineData("28P01", "password authentication failed for user \"app\"", FailureKind.AuthenticationFailed)]
    [InlineData("28000", "no pg_hba.conf entry for host", FailureKind.AuthenticationFailed)]
    [InlineData("3D000", "database \"orders\" does not exist", FailureKind.DatabaseMissing)]
    [InlineData("53300", "sorry, too many clients already", FailureKind.TooManyConnections)]
    [InlineData("57P03", "the database system is starting up", FailureKind.ServerStarting)]
    [InlineData("57P03", "the database system is not yet accepting connections", FailureKind.ServerStarting)]
    [InlineData("57P03", "the database system is shutting down", FailureKind.ServerShuttingDown)]
    [InlineData("57P01", "terminating connection due to administrator command", FailureKind.ServerShuttingDown)]
    [InlineData("57P02", "terminating connection due to crash of another server process", FailureKind.ServerShuttingDown)]
    [InlineData("57014", "canceling statement due to user request", FailureKind.QueryTimeout)]
    [InlineData("08006", "connection failure", FailureKind.Reset)]
    [InlineData("42P01", "relation \"x\" does not exist", FailureKind.Unknown)]
    public void Classify_ServerError_BySqlState(string sqlState, string message, FailureKind expected)
    {
        var failure = FailureClassifier.Classify(new PostgresException(message, "FATAL", "FATAL", sqlState));

        Assert.Equal(expected, failure.Kind);
        Assert.Equal(sqlState, failure.SqlState);
    }

    [Fact]
    public void Classify_PoolExhausted_IsItsOwnKindAndNotTransientThoughNpgsqlSaysSo()
    {
        var exception = new NpgsqlException(
            "The connection pool has been exhausted, either raise 'Max Pool Size' (currently 1) or 'Timeout' (currently 1 seconds) in your connection string.",
            new TimeoutException());

        var failure = FailureClassifier.Classify(exception);

        Assert.True(exception.IsTransient);
        Assert.Equal(FailureKind.PoolExhausted, failure.Kind);
        Assert.False(failure.IsTransient);
        Assert.Contains("raise Max Pool Size", failure.Diagnosis, StringComparison.Ordinal);
        Assert.Contains("find the leak", failure.Diagnosis, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_ReadTimeout_IsConnectTimeoutWhileConnectingAndQueryTimeoutOnACommand()
    {
        var exception = new NpgsqlException("Exception while reading from stream", new TimeoutException("Timeout during reading attempt"));

        Assert.Equal(FailureKind.Timeout, FailureClassifier.ClassifyKind(exception, operation: FailureOperation.Connect));
        Assert.Equal(FailureKind.QueryTimeout, FailureClassifier.ClassifyKind(exception, operation: FailureOperation.Command));
        Assert.False(FailureKind.QueryTimeout.IsTransient());
    }

    [Theory]
    [InlineData(SocketError.ConnectionRefused, FailureKind.Refused)]
    [InlineData(SocketError.HostNotFound, FailureKind.HostNotFound)]
    [InlineData(SocketError.TryAgain, FailureKind.HostNotFound)]
    [InlineData(SocketError.TimedOut, FailureKind.Timeout)]
    [InlineData(SocketError.ConnectionReset, FailureKind.Reset)]
    [InlineData(SocketError.NetworkUnreachable, FailureKind.Refused)]
    public void Classify_SocketError_InsideNpgsqlException(SocketError error, FailureKind expected)
    {
        var exception = new NpgsqlException("Failed to connect to 10.0.0.5:5432", new SocketException((int)error));

        Assert.Equal(expected, FailureClassifier.ClassifyKind(exception));
    }

    [Fact]
    public void Classify_MultiHostAggregate_LooksInsideTheFirstFailure()
    {
        var exception = new NpgsqlException("Unable to connect to a suitable host.",
            new AggregateException(new NpgsqlException("Failed", new SocketException((int)SocketError.HostNotFound))));

        Assert.Equal(FailureKind.HostNotFound, FailureClassifier.ClassifyKind(exception));
    }

    [Fact]
    public void Classify_NoSuitableHost_OneHostDownAndTheOtherInAnotherRole_IsAFailover_NamingEachHost()
    {
        var endpoint = DatabaseEndpoint.Parse("postgres://app:s3cret@10.0.0.1:5432,10.0.0.2:5433/app?target_session_attrs=primary");
        var exception = new NpgsqlException("Unable to connect to a suitable host. Check inner exception for more details.",
            new AggregateException(new NpgsqlException("Failed to connect to 10.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused))));

        var failure = FailureClassifier.Classify(exception, endpoint);

        Assert.Equal(FailureKind.Failover, failure.Kind);
        Assert.True(failure.IsTransient);
        Assert.False(failure.IsPermanent);
        Assert.Contains("10.0.0.1:5432 refused the connection (down)", failure.Diagnosis, StringComparison.Ordinal);
        Assert.Contains("10.0.0.2:5433 was not usable as 'primary'", failure.Diagnosis, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_NoSuitableHost_OneHostRefusedTwice_TheOtherSkipped_IsStillAFailover()
    {
        // Npgsql's second pass tries a host again when it was not marked offline: two failures, one host.
        var endpoint = DatabaseEndpoint.Parse("postgres://app:pw@10.0.0.1:5432,10.0.0.2:5433/app?target_session_attrs=primary");
        var exception = new NpgsqlException("Unable to connect to a suitable host. Check inner exception for more details.",
            new AggregateException(
                new NpgsqlException("Failed to connect to 10.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused)),
                new NpgsqlException("Failed to connect to 10.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused))));

        Assert.Equal(FailureKind.Failover, FailureClassifier.ClassifyKind(exception, endpoint));
    }

    [Fact]
    public void Classify_NoSuitableHost_EveryHostRefused_IsRefused()
    {
        var endpoint = DatabaseEndpoint.Parse("postgres://app:pw@10.0.0.1:5432,10.0.0.2:5433/app?target_session_attrs=primary");
        var exception = new NpgsqlException("Unable to connect to a suitable host. Check inner exception for more details.",
            new AggregateException(
                new NpgsqlException("Failed to connect to 10.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused)),
                new NpgsqlException("Failed to connect to 10.0.0.2:5433", new SocketException((int)SocketError.ConnectionRefused))));

        Assert.Equal(FailureKind.Refused, FailureClassifier.ClassifyKind(exception, endpoint));
    }

    [Fact]
    public void Classify_NoSuitableHost_HostNames_CountFailuresSinceNpgsqlNamesTheResolvedAddress()
    {
        var endpoint = DatabaseEndpoint.Parse("postgres://app:pw@db-a.internal:5432,db-b.internal:5432/app?target_session_attrs=primary");
        var refused = (string address) => new NpgsqlException($"Failed to connect to {address}", new SocketException((int)SocketError.ConnectionRefused));

        var both = FailureClassifier.Classify(new NpgsqlException("Unable to connect to a suitable host.",
            new AggregateException(refused("10.0.0.1:5432"), refused("10.0.0.2:5432"))), endpoint);
        var one = FailureClassifier.Classify(new NpgsqlException("Unable to connect to a suitable host.",
            new AggregateException(refused("10.0.0.1:5432"))), endpoint);

        Assert.Equal(FailureKind.Refused, both.Kind);
        Assert.Equal(FailureKind.Failover, one.Kind);
        Assert.Contains("refused the connection (down) (Failed to connect to 10.0.0.1:5432)", one.Diagnosis, StringComparison.Ordinal);
        Assert.Contains("any other host was not usable as 'primary'", one.Diagnosis, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_NoSuitableHost_EveryHostSkipped_IsAFailover()
    {
        var endpoint = DatabaseEndpoint.Parse("postgres://app:pw@a:5432,b:5432/app?target_session_attrs=read-write");

        var failure = FailureClassifier.Classify(new NpgsqlException("No suitable host was found."), endpoint);

        Assert.Equal(FailureKind.Failover, failure.Kind);
        Assert.Contains("usable as 'read-write'", failure.Diagnosis, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_NoSuitableHost_AWrongPasswordOnOneHost_IsThePermanentFailure()
    {
        var exception = new NpgsqlException("Unable to connect to a suitable host. Check inner exception for more details.",
            new AggregateException(
                new NpgsqlException("Failed to connect to a:5432", new SocketException((int)SocketError.ConnectionRefused)),
                new PostgresException("password authentication failed", "FATAL", "FATAL", "28P01")));

        Assert.Equal(FailureKind.AuthenticationFailed, FailureClassifier.ClassifyKind(exception));
    }

    [Theory]
    [InlineData("25006", FailureKind.Failover, true)]
    [InlineData("42P05", FailureKind.Configuration, false)]
    [InlineData("26000", FailureKind.Configuration, false)]
    public void Classify_ReadOnlyServerAndPreparedStatementClashes(string sqlState, FailureKind kind, bool transient)
    {
        var failure = FailureClassifier.Classify(new PostgresException("message", "ERROR", "ERROR", sqlState), operation: FailureOperation.Command);

        Assert.Equal(kind, failure.Kind);
        Assert.Equal(transient, failure.IsTransient);
        if (kind == FailureKind.Configuration)
        {
            Assert.Contains("pooler in transaction mode", failure.Diagnosis, StringComparison.Ordinal);
            Assert.Contains("max_prepared_statements", failure.Diagnosis, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Classify_TlsFailures()
    {
        Assert.Equal(FailureKind.Tls, FailureClassifier.ClassifyKind(
            new NpgsqlException("Exception while performing SSL handshake", new AuthenticationException("remote certificate is invalid"))));
        Assert.Equal(FailureKind.Tls, FailureClassifier.ClassifyKind(
            new NpgsqlException("SSL connection requested. No SSL enabled connection from this host is configured.")));
    }

    [Fact]
    public void Classify_ConfigurationException_IsPermanentWithExitCode2()
    {
        var failure = FailureClassifier.Classify(new HoldfastConfigurationException("DATABASE_URL", "bad", "fix it"));

        Assert.Equal(FailureKind.Configuration, failure.Kind);
        Assert.True(failure.IsPermanent);
        Assert.Equal(2, failure.ExitCode);
    }

    [Fact]
    public void Classify_UnknownNpgsqlFailure_TakesTransienceFromNpgsql()
    {
        var transient = FailureClassifier.Classify(new PostgresException("serialization failure", "ERROR", "ERROR", "40001"));
        var permanent = FailureClassifier.Classify(new PostgresException("syntax error", "ERROR", "ERROR", "42601"));

        Assert.Equal(FailureKind.Unknown, transient.Kind);
        Assert.True(transient.IsTransient);
        Assert.False(permanent.IsTransient);
    }

    [Fact]
    public void Classify_MessageContainingThePassword_IsRedacted()
    {
        var endpoint = DatabaseEndpoint.Parse("postgres://app:S3cr3t-pw@db/orders");

        var failure = FailureClassifier.Classify(new NpgsqlException("echoed S3cr3t-pw by mistake"), endpoint);

        Assert.DoesNotContain("S3cr3t-pw", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("S3cr3t-pw", failure.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FailureKind.AuthenticationFailed, false, true, 4)]
    [InlineData(FailureKind.DatabaseMissing, false, true, 4)]
    [InlineData(FailureKind.Tls, false, true, 4)]
    [InlineData(FailureKind.Configuration, false, true, 2)]
    [InlineData(FailureKind.Timeout, true, false, 3)]
    [InlineData(FailureKind.Refused, true, false, 3)]
    [InlineData(FailureKind.HostNotFound, true, false, 3)]
    [InlineData(FailureKind.SocketMissing, true, false, 3)]
    [InlineData(FailureKind.Reset, true, false, 3)]
    [InlineData(FailureKind.TooManyConnections, true, false, 3)]
    [InlineData(FailureKind.ServerStarting, true, false, 3)]
    [InlineData(FailureKind.ServerShuttingDown, true, false, 3)]
    [InlineData(FailureKind.PoolExhausted, false, false, 3)]
    [InlineData(FailureKind.QueryTimeout, false, false, 3)]
    [InlineData(FailureKind.Unknown, false, false, 3)]
    public void Kind_TransienceOrPermanenceAndExitCode(FailureKind kind, bool transient, bool permanent, int exitCode)
    {
        Assert.Equal(transient, kind.IsTransient());
        Assert.Equal(permanent, kind.IsPermanent());
        Assert.Equal(exitCode, kind.ToExitCode());
    }

    [Fact]
    public void Diagnosis_EveryKind_HasTextAndPermanentOnesSayRetryingWillNotHelp()
    {
        var endpoint = DatabaseEndpoint.Parse("postgres://app:S3cr3t@db/orders");
        foreach (var kind in Enum.GetValues<FailureKind>())
        {
            var text = FailureDiagnosis.Describe(kind, endpoint, null, "message.");
            Assert.False(string.IsNullOrWhiteSpace(text), kind.ToString());
            Assert.DoesNotContain("S3cr3t", text, StringComparison.Ordinal);
            if (kind.IsPermanent() && kind != FailureKind.Configuration)
            {
                Assert.Contains("Retrying will not help", text, StringComparison.Ordinal);
            }
        }
    }
}
