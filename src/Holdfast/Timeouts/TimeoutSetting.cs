namespace Holdfast.Timeouts;

/// <summary>One effective timeout and where its value came from.</summary>
public sealed record TimeoutSetting
{
    internal TimeoutSetting(TimeoutKind kind, TimeSpan value, string source)
    {
        Kind = kind;
        Value = value;
        Source = source;
    }

    /// <summary>Which timeout.</summary>
    public TimeoutKind Kind { get; init; }

    /// <summary>The effective value.</summary>
    public TimeSpan Value { get; init; }

    /// <summary>Where the value came from: a configuration key, <c>DATABASE_URL connect_timeout</c>, or the profile.</summary>
    public string Source { get; init; }

    /// <summary>The configuration key that overrides this timeout, e.g. <c>Holdfast:Timeouts:Connection</c>.</summary>
    public string Key => HoldfastTimeouts.KeyFor(Kind);
}
