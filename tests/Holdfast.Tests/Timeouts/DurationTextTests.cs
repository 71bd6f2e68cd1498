using Holdfast.Timeouts;

namespace Holdfast.Tests.Timeouts;

public sealed class DurationTextTests
{
    [Theory]
    [InlineData("35", 35_000)]
    [InlineData("35s", 35_000)]
    [InlineData(" 1.5s ", 1_500)]
    [InlineData("500ms", 500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("00:01:30", 90_000)]
    [InlineData("-5", -5_000)]
    public void TryParse_OperatorForms_GiveTheDuration(string text, double milliseconds)
    {
        Assert.True(DurationText.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("35 days")]
    [InlineData("1e400")]
    [InlineData("NaN")]
    public void Parse_NotADuration_NamesTheSetting(string text)
    {
        var ex = Assert.Throws<HoldfastConfigurationException>(() => DurationText.Parse(text, "Holdfast:Timeouts:Pool"));

        Assert.Equal("Holdfast:Timeouts:Pool", ex.Setting);
    }

    [Theory]
    [InlineData(35_000, "35 s")]
    [InlineData(1_500, "1.5 s")]
    [InlineData(250, "250 ms")]
    public void Format_GivesShortForm(double milliseconds, string expected)
    {
        Assert.Equal(expected, DurationText.Format(TimeSpan.FromMilliseconds(milliseconds)));
    }
}
