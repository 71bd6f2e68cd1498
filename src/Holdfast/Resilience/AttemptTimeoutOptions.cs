using System.ComponentModel.DataAnnotations;

namespace Holdfast;

/// <summary>How long each connect attempt may take inside a budget.</summary>
public sealed class AttemptTimeoutOptions
{
    /// <summary>
    /// The first attempt's timeout before any connect has been measured; later attempts double it
    /// (5, 10, 20 s ...), never above the connection timeout.
    /// </summary>
    /// <value>5 s by default; from 100 ms to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan FirstAttempt { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Once measured, the first attempt's timeout is this multiple of the recent connect p99.</summary>
    /// <value>4 by default; from 1.5 to 100.</value>
    [Range(1.5, 100)]
    public double LatencyMultiplier { get; set; } = 4;

    /// <summary>The shortest attempt timeout the measured latency may give.</summary>
    /// <value>1 s by default; from 10 ms to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan Minimum { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many measured connects make a history; fewer, and <see cref="FirstAttempt"/> applies.</summary>
    /// <value>5 by default; from 1 to 1000.</value>
    [Range(1, 1000)]
    public int MinimumSamples { get; set; } = 5;
}
