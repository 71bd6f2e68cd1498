namespace Holdfast.Testing;

/// <summary>How to start a <see cref="LocalPrometheus"/>.</summary>
public sealed class LocalPrometheusOptions
{
    /// <summary>The <c>prometheus.yml</c> to run, as text; its <c>rule_files</c> name files of <see cref="RuleFiles"/> by their file name.</summary>
    public required string Configuration { get; init; }

    /// <summary>Rule files copied next to the configuration (e.g. deploy/prometheus/holdfast-rules.yml).</summary>
    public IReadOnlyList<string> RuleFiles { get; init; } = [];

    /// <summary>The <c>prometheus</c> program; <c>HOLDFAST_PROMETHEUS</c>, else Debian's <c>/usr/bin/prometheus</c>, when null.</summary>
    public string? Executable { get; init; }

    /// <summary>How long to wait for it to be ready.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
