namespace Holdfast.Timeouts;

/// <summary>The six timeouts of an environment.</summary>
public sealed record TimeoutProfile
{
    /// <summary>Creates a <see cref="TimeoutProfile"/>.</summary>
    /// <param name="initialization">The budget of the whole database start-up phase, across every attempt.</param>
    /// <param name="connection">The longest a single connect attempt may take.</param>
    /// <param name="pool">The longest a caller waits for a pooled connection when the pool is busy.</param>
    /// <param name="tableSetup">The budget of the schema/table set-up phase.</param>
    /// <param name="healthCheck">The longest a health probe may take.</param>
    /// <param name="operation">The budget of one <c>ExecuteAsync</c> unit of work, its connection and retries included.</param>
    public TimeoutProfile(TimeSpan initialization, TimeSpan connection, TimeSpan pool, TimeSpan tableSetup, TimeSpan healthCheck, TimeSpan operation)
    {
        Initialization = initialization;
        Connection = connection;
        Pool = pool;
        TableSetup = tableSetup;
        HealthCheck = healthCheck;
        Operation = operation;
    }

    /// <summary>The budget of the whole database start-up phase, across every attempt.</summary>
    public TimeSpan Initialization { get; init; }

    /// <summary>The longest a single connect attempt may take.</summary>
    public TimeSpan Connection { get; init; }

    /// <summary>The longest a caller waits for a pooled connection when the pool is busy.</summary>
    public TimeSpan Pool { get; init; }

    /// <summary>The budget of the schema/table set-up phase.</summary>
    public TimeSpan TableSetup { get; init; }

    /// <summary>The longest a health probe may take.</summary>
    public TimeSpan HealthCheck { get; init; }

    /// <summary>The budget of one <c>ExecuteAsync</c> unit of work, its connection and retries included.</summary>
    public TimeSpan Operation { get; init; }

    /// <summary>Development and test: 30, 20, 30, 15, 10 seconds; operations 5 s.</summary>
    public static TimeoutProfile Development { get; } = Seconds(30, 20, 30, 15, 10, 5);

    /// <summary>
    /// Staging: 75, 35, 45, 25, 20 seconds (raised after outages on Cloud SQL behind a VPC connector); operations 8 s,
    /// so a request on a path that went silent ends (503) well within a load balancer's patience.
    /// </summary>
    public static TimeoutProfile Staging { get; } = Seconds(75, 35, 45, 25, 20, 8);

    /// <summary>Production: 90, 60, 60, 45, 20 seconds; operations 15 s.</summary>
    public static TimeoutProfile Production { get; } = Seconds(90, 60, 60, 45, 20, 15);

    /// <summary>A profile with the environment-independent default operation budget (5 s).</summary>
    /// <param name="initialization">Initialization budget.</param>
    /// <param name="connection">Connect attempt timeout.</param>
    /// <param name="pool">Pool wait timeout.</param>
    /// <param name="tableSetup">Table set-up budget.</param>
    /// <param name="healthCheck">Health probe timeout.</param>
    public TimeoutProfile(TimeSpan initialization, TimeSpan connection, TimeSpan pool, TimeSpan tableSetup, TimeSpan healthCheck)
        : this(initialization, connection, pool, tableSetup, healthCheck, DefaultOperation)
    {
    }

    /// <summary>The operation budget of a profile built without one.</summary>
    public static TimeSpan DefaultOperation { get; } = TimeSpan.FromSeconds(5);

    /// <summary>The default profile of an environment.</summary>
    /// <param name="environment">The environment.</param>
    public static TimeoutProfile For(HoldfastEnvironment environment) => environment switch
    {
        HoldfastEnvironment.Staging => Staging,
        HoldfastEnvironment.Production => Production,
        _ => Development,
    };

    /// <summary>The value of one timeout.</summary>
    /// <param name="kind">Which timeout.</param>
    public TimeSpan this[TimeoutKind kind] => kind switch
    {
        TimeoutKind.Initialization => Initialization,
        TimeoutKind.Connection => Connection,
        TimeoutKind.Pool => Pool,
        TimeoutKind.TableSetup => TableSetup,
        TimeoutKind.HealthCheck => HealthCheck,
        TimeoutKind.Operation => Operation,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>A copy with one timeout changed.</summary>
    /// <param name="kind">Which timeout.</param>
    /// <param name="value">The new value.</param>
    public TimeoutProfile With(TimeoutKind kind, TimeSpan value) => kind switch
    {
        TimeoutKind.Initialization => this with { Initialization = value },
        TimeoutKind.Connection => this with { Connection = value },
        TimeoutKind.Pool => this with { Pool = value },
        TimeoutKind.TableSetup => this with { TableSetup = value },
        TimeoutKind.HealthCheck => this with { HealthCheck = value },
        TimeoutKind.Operation => this with { Operation = value },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Builds a profile from whole seconds.</summary>
    /// <param name="initialization">Initialization budget.</param>
    /// <param name="connection">Connect attempt timeout.</param>
    /// <param name="pool">Pool wait timeout.</param>
    /// <param name="tableSetup">Table set-up budget.</param>
    /// <param name="healthCheck">Health probe timeout.</param>
    /// <param name="operation">The budget of one <c>ExecuteAsync</c>; <see cref="DefaultOperation"/> when null.</param>
    public static TimeoutProfile Seconds(double initialization, double connection, double pool, double tableSetup, double healthCheck, double? operation = null) =>
        new(TimeSpan.FromSeconds(initialization), TimeSpan.FromSeconds(connection), TimeSpan.FromSeconds(pool),
            TimeSpan.FromSeconds(tableSetup), TimeSpan.FromSeconds(healthCheck), operation is { } op ? TimeSpan.FromSeconds(op) : DefaultOperation);
}
