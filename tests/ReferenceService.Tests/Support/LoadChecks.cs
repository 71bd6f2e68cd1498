using System.Net;
using Holdfast.Chaos;

namespace ReferenceService.Tests.Support;

/// <summary>What the load tests share: a ready service with an account to sign in as, and the 200-or-503 promise.</summary>
internal static class LoadChecks
{
    public const string Password = "correct horse battery";

    public static async Task<string> ReadyWithAccountAsync(ServiceProcess service)
    {
        await service.WaitForAsync("/health/ready");
        var email = $"load-{Guid.NewGuid():N}@example.com";
        using var created = await service.Http.SignUpAsync(email, Password);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return email;
    }

    /// <summary>Every request answered 200 or 503 (never a 500, never no answer), some 503, each 503 with Retry-After.</summary>
    public static void AssertOnlyOkOr503WithRetryAfter(ServiceLoad load)
    {
        var requests = load.Requests;
        Assert.Contains(requests, r => r.Status == 503);
        Assert.All(requests, r => Assert.True(r.Status is 200 or 503, $"{r.Name} answered {r.Status} (0: no answer) after {r.Duration.TotalSeconds:0.000} s"));
        Assert.All(requests.Where(r => r.Status == 503), r => Assert.True(r.RetryAfter >= TimeSpan.FromSeconds(1), $"a 503 of {r.Name} without Retry-After"));
    }
}
