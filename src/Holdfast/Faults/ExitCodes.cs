namespace Holdfast.Faults;

/// <summary>The exit codes of every <c>holdfast</c> command and of a service whose start-up fails.</summary>
internal static class ExitCodes
{
    /// <summary>Healthy.</summary>
    public const int Healthy = 0;

    /// <summary>Bad usage or invalid configuration.</summary>
    public const int InvalidConfiguration = 2;

    /// <summary>The database is unreachable or failing for a transient reason.</summary>
    public const int Unavailable = 3;

    /// <summary>Rejected for a permanent reason (authentication, missing database).</summary>
    public const int Permanent = 4;
}
