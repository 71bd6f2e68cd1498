using System.Net.Mail;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ReferenceService.Accounts;

/// <summary>The account API; every endpoint needs the database.</summary>
internal static class AccountEndpoints
{
    public static RouteGroupBuilder MapAccounts(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("").RequireDatabase();
        api.MapPost("/accounts", CreateAsync);
        api.MapPost("/sign-in", SignInAsync);
        api.MapGet("/me", MeAsync);
        return api;
    }

    private static async Task<Results<Created<Account>, Conflict<string>, ValidationProblem>> CreateAsync(SignUp request, AccountStore store, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!MailAddress.TryCreate(request.Email, out _))
        {
            errors["email"] = ["is not an e-mail address"];
        }

        if (request.Password is not { Length: >= 8 })
        {
            errors["password"] = ["must have at least 8 characters"];
        }

        if (string.IsNullOrWhiteSpace(request.DisplayName))
        {
            errors["displayName"] = ["is required"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return await store.CreateAsync(request, ct) is { } account
            ? TypedResults.Created($"/accounts/{account.Id}", account)
            : TypedResults.Conflict("an account with this e-mail exists");
    }

    private static async Task<Results<Ok<Session>, UnauthorizedHttpResult>> SignInAsync(SignIn request, AccountStore store, CancellationToken ct) =>
        await store.SignInAsync(request, ct) is { } session ? TypedResults.Ok(session) : TypedResults.Unauthorized();

    private static async Task<Results<Ok<Account>, UnauthorizedHttpResult>> MeAsync(HttpRequest request, AccountStore store, CancellationToken ct)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Unauthorized();
        }

        return await store.FindBySessionAsync(header["Bearer ".Length..].Trim(), ct) is { } account
            ? TypedResults.Ok(account)
            : TypedResults.Unauthorized();
    }
}
