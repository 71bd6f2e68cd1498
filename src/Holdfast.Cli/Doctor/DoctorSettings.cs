using Microsoft.Extensions.Configuration;

namespace Holdfast.Cli.Doctor;

/// <summary>What the doctor is asked to do.</summary>
/// <param name="Configuration">Environment variables (and any files) the endpoint and timeouts come from.</param>
/// <param name="Connection">An explicit URL or connection string (<c>--connection</c>).</param>
/// <param name="Environment">A forced environment (<c>--environment</c>).</param>
/// <param name="StageTimeout">The per-stage timeout (<c>--timeout</c>); default: the effective connection timeout.</param>
/// <param name="Samples">How many timed physical connects (<c>--samples</c>).</param>
internal sealed record DoctorSettings(IConfiguration Configuration, string? Connection, HoldfastEnvironment? Environment, TimeSpan? StageTimeout, int Samples);
