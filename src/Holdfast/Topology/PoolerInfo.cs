namespace Holdfast.Topology;

/// <summary>What was found between the client and PostgreSQL.</summary>
public sealed class PoolerInfo
{
    /// <summary>No pooler: the backend the client talks to is the one the server says it is.</summary>
    /// <param name="evidence">How this was found.</param>
    internal static PoolerInfo NotPresent(string evidence) => new(present: false, null, null, PoolingMode.Unknown, evidence);

    internal PoolerInfo(bool present, string? name, string? version, PoolingMode mode, string evidence)
    {
        Present = present;
        Name = name;
        Version = version;
        Mode = mode;
        Evidence = evidence;
    }

    /// <summary>True when a pooler multiplexes server connections between clients.</summary>
    public bool Present { get; }

    /// <summary>The pooler's name when it could be told (<c>PgBouncer</c>); null when unknown.</summary>
    public string? Name { get; }

    /// <summary>Its version when it said (PgBouncer's admin console does, to its admin and stats users).</summary>
    public string? Version { get; }

    /// <summary>Its pooling mode, as probed.</summary>
    public PoolingMode Mode { get; }

    /// <summary>How it was found, for a person to check.</summary>
    public string Evidence { get; }

    /// <summary>True when server connections are shared between clients' transactions: session state does not survive.</summary>
    public bool SharesServerConnections => Present && Mode is not PoolingMode.Session;

    /// <summary>One line: e.g. <c>PgBouncer 1.18.0, transaction pooling</c>.</summary>
    public override string ToString() => !Present
        ? "no pooler"
        : $"{Name ?? "a connection pooler"}{(Version is null ? "" : " " + Version)}, " +
          (Mode == PoolingMode.Unknown ? "pooling mode unknown" : $"{Mode.ToString().ToLowerInvariant()} pooling");
}
