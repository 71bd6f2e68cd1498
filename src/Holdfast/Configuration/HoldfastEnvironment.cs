namespace Holdfast;

/// <summary>The deployment environment; it picks the timeout profile, the floors and the bypass rules.</summary>
public enum HoldfastEnvironment
{
    /// <summary>A developer's machine.</summary>
    Development,

    /// <summary>Automated tests and CI.</summary>
    Test,

    /// <summary>Staging: managed database, shared infrastructure, the strictest floors.</summary>
    Staging,

    /// <summary>Production.</summary>
    Production,
}
