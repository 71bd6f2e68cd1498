namespace Holdfast.Timeouts;

/// <summary>One effective timeout and where its value came from.</summary>
/// <param name="Kind">Which timeout.</param>
/// <param name="Value">The effective value.</param>
/// <param name="Source">Where the value came from: a configuration key, <c>DATABASE_URL connect_timeout</c>, or the profile.</param>
public sealed record TimeoutSetting(TimeoutKind Kind, TimeSpan Value, string Source)
{
    /// <summary>The configuration key that overrides this timeout, e.g. <c>Holdfast:Timeouts:Connection</c>.</summary>
    public string Key => HoldfastTimeouts.KeyFor(Kind);
}
