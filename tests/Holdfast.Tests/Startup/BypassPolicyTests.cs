using Holdfast.Startup;

namespace Holdfast.Tests.Startup;

public sealed class BypassPolicyTests
{
    [Theory]
    [InlineData(HoldfastEnvironment.Staging, new[] { FailureKind.Refused }, false, true, "staging with 1 infrastructure failure")]
    [InlineData(HoldfastEnvironment.Staging, new[] { FailureKind.Timeout, FailureKind.TooManyConnections, FailureKind.ServerStarting }, false, true, "staging with 3 infrastructure failures")]
    [InlineData(HoldfastEnvironment.Staging, new[] { FailureKind.Timeout, FailureKind.Timeout, FailureKind.Refused, FailureKind.Refused }, false, false, "more than 3")]
    [InlineData(HoldfastEnvironment.Staging, new[] { FailureKind.Reset }, false, false, "not Reset")]
    [InlineData(HoldfastEnvironment.Staging, new[] { FailureKind.Refused, FailureKind.Unknown }, false, false, "not Unknown")]
    [InlineData(HoldfastEnvironment.Staging, new[] { FailureKind.AuthenticationFailed }, false, false, "AuthenticationFailed is permanent")]
    [InlineData(HoldfastEnvironment.Staging, new[] { FailureKind.Refused, FailureKind.DatabaseMissing }, true, false, "DatabaseMissing is permanent")]
    [InlineData(HoldfastEnvironment.Production, new[] { FailureKind.Refused }, false, false, "production has no bypass")]
    [InlineData(HoldfastEnvironment.Development, new[] { FailureKind.Timeout }, false, false, "development has no bypass")]
    [InlineData(HoldfastEnvironment.Production, new[] { FailureKind.Reset, FailureKind.Unknown }, true, true, "BYPASS_STARTUP_VALIDATION=true")]
    [InlineData(HoldfastEnvironment.Development, new[] { FailureKind.Configuration }, true, false, "Configuration is permanent")]
    [InlineData(HoldfastEnvironment.Staging, new FailureKind[0], false, false, "no failures")]
    public void Decide_EveryRule(HoldfastEnvironment environment, FailureKind[] failures, bool requested, bool allowed, string rule)
    {
        var decision = BypassPolicy.Decide(environment, failures, requested);

        Assert.Equal(allowed, decision.Allowed);
        Assert.Contains(rule, decision.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("TRUE", true)]
    [InlineData(" 1 ", true)]
    [InlineData("false", false)]
    [InlineData("yes", false)]
    [InlineData(null, false)]
    public void IsRequested_ReadsTheVariable(string? value, bool requested)
    {
        Assert.Equal(requested, BypassPolicy.IsRequested(value));
    }
}
