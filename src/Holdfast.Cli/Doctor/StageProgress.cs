namespace Holdfast.Cli.Doctor;

/// <summary>A stage under way: its name, when it began (a <see cref="TimeProvider"/> timestamp) and how long it may take.</summary>
internal sealed record StageProgress(string Name, long StartedAt, TimeSpan Limit);
