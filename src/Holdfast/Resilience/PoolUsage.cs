namespace Holdfast;

/// <summary>A data source's pool as Npgsql's metrics report it.</summary>
public sealed record PoolUsage
{
    internal PoolUsage(int idle, int busy, int max, int pending)
    {
        Idle = idle;
        Busy = busy;
        Max = max;
        Pending = pending;
    }

    /// <summary>Open connections waiting in the pool.</summary>
    public int Idle { get; init; }

    /// <summary>Connections rented out now.</summary>
    public int Busy { get; init; }

    /// <summary>Max Pool Size.</summary>
    public int Max { get; init; }

    /// <summary>Callers waiting for a connection because the pool is full.</summary>
    public int Pending { get; init; }

    /// <summary>Busy connections as a share of the maximum, 0 to 1.</summary>
    public double Utilization => Max == 0 ? 0 : (double)Busy / Max;
}
