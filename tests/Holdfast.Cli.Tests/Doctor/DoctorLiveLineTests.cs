using System.Diagnostics;
using Holdfast.Cli.Doctor;
using Holdfast.Cli.Tests.Support;
using Holdfast.Testing;

namespace Holdfast.Cli.Tests.Doctor;

/// <summary>During a long wait, doctor on a terminal says which stage it is in and for how long; redirected, it adds nothing.</summary>
public sealed class DoctorLiveLineTests(PostgresFixture fixture)
{
    private readonly LocalPostgres postgres = fixture.Postgres;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Text_NamesTheStage_ItsTimeSoFar_AndItsLimit()
    {
        var text = DoctorLiveLine.Text(new StageProgress("tls", 0, TimeSpan.FromSeconds(60)), TimeSpan.FromSeconds(12.34));

        Assert.Equal("tls: 12.3 s of 60 s", text);
    }

    [Fact]
    public async Task OnATerminal_ABlackholedStage_ShowsALiveLine_WithItsBudget()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.Blackhole();
        var cli = Path.Combine(AppContext.BaseDirectory, "Holdfast.Cli.dll");
        // script(1) gives the command a pseudo-terminal, as a person's shell would.
        var start = new ProcessStartInfo("script")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-qfec", $"dotnet {cli} doctor --timeout 3s", "/dev/null" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DATABASE_URL"] = $"postgres://app@{proxy.Host}:{proxy.Port}/app";
        start.Environment["HOLDFAST_ENVIRONMENT"] = "test";
        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        Assert.True(process.ExitCode == 3, output);
        Assert.Contains("tls: ", output, StringComparison.Ordinal);
        Assert.Contains(" s of 3 s", output, StringComparison.Ordinal);
        Assert.Contains("FAILED", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redirected_AddsNoLiveLine()
    {
        await using var proxy = FaultProxy.Start(postgres.Host, postgres.Port);
        proxy.Blackhole();

        var run = await CliProcess.RunAsync(["doctor", "--timeout", "1s"],
            new Dictionary<string, string> { ["DATABASE_URL"] = $"postgres://app@{proxy.Host}:{proxy.Port}/app" });

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.DoesNotContain(" s of 1 s", run.All, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", run.All, StringComparison.Ordinal);
    }
}
