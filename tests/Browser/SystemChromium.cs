using Microsoft.Playwright;

namespace Holdfast.TestSupport;

/// <summary>
/// The machine's Chromium (Debian's package, installed by scripts/setup), driven headless by Playwright: no browser is
/// downloaded. The flags keep it off the network: no background requests, no component updates, no sync.
/// </summary>
internal sealed class SystemChromium : IAsyncDisposable
{
    private readonly IPlaywright playwright;

    private SystemChromium(IPlaywright playwright, IBrowser browser)
    {
        this.playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("HOLDFAST_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public static async Task<SystemChromium> LaunchAsync()
    {
        Assert.True(File.Exists(ExecutablePath), $"Chromium is not at {ExecutablePath}: run scripts/setup (it installs Debian's chromium) or set HOLDFAST_CHROMIUM");
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Args =
                [
                    .. Environment.UserName == "root" ? ["--no-sandbox"] : Array.Empty<string>(),
                    "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
                ],
                Timeout = 60_000,
            });
            return new SystemChromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        playwright.Dispose();
    }
}
