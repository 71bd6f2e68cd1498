using System.Net.Http.Json;
using System.Text.Json;

namespace ReferenceService.Tests.Support;

/// <summary>The reference service's API, as a client uses it.</summary>
internal static class Api
{
    public static async Task<HttpResponseMessage> SignUpAsync(this HttpClient http, string email, string password = "correct horse battery") =>
        await http.PostAsJsonAsync("/accounts", new { email, password, displayName = "Ada" }, TestContext.Current.CancellationToken);

    public static async Task<HttpResponseMessage> SignInAsync(this HttpClient http, string email, string password = "correct horse battery") =>
        await http.PostAsJsonAsync("/sign-in", new { email, password }, TestContext.Current.CancellationToken);

    public static async Task<string> TokenAsync(this HttpResponseMessage signIn)
    {
        using var json = JsonDocument.Parse(await signIn.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return json.RootElement.GetProperty("token").GetString()!;
    }

    public static async Task<JsonDocument> HealthAsync(this HttpClient http)
    {
        using var response = await http.GetAsync("/health", TestContext.Current.CancellationToken);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>The account flow a user goes through: sign up (twice: a conflict), a wrong password, sign in, <c>/me</c>.</summary>
    public static async Task AssertAccountFlowWorksAsync(this HttpClient http)
    {
        var email = $"ada-{Guid.NewGuid():N}@example.com";
        Assert.Equal(System.Net.HttpStatusCode.Created, (await http.SignUpAsync(email)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, (await http.SignUpAsync(email)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.SignInAsync(email, "wrong password")).StatusCode);
        using var signIn = await http.SignInAsync(email);
        Assert.Equal(System.Net.HttpStatusCode.OK, signIn.StatusCode);
        using var me = new HttpRequestMessage(HttpMethod.Get, "/me") { Headers = { { "Authorization", $"Bearer {await signIn.TokenAsync()}" } } };
        using var account = await http.SendAsync(me, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, account.StatusCode);
        Assert.Contains(email, await account.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    public static string Url(Holdfast.Testing.LocalPostgres postgres, int? port = null, string? password = null) =>
        $"postgres://{postgres.Username}:{Uri.EscapeDataString(password ?? postgres.Password)}@{postgres.Host}:{port ?? postgres.Port}/{postgres.Database}";
}
