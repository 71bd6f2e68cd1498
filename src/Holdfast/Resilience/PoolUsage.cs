namespace Holdfast.Resilience;

/// <summary>A data source's pool as Npgsql's metrics report it.</summary>
/// <param name="Idle">Open connections waiting in the pool.</param>
/// <param name="Busy">Connections rented out now.</param>
/// <param name="Max">Max Pool Size.</param>
/// <param name="Pending">Callers waiting for a connection because the pool is full.</param>
public sealed record PoolUsage(int Idle, int Busy, int Max, int Pending)
{
    /// <summary>Busy connections as a share of the maximum, 0 to 1.</summary>
    public double Utilization => Max == 0 ? 0 : (double)Busy / Max;
}
