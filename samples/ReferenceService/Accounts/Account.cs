namespace ReferenceService.Accounts;

/// <summary>An account as the API shows it.</summary>
public sealed record Account(long Id, string Email, string DisplayName, DateTimeOffset CreatedAt);

/// <summary>A sign-up request.</summary>
public sealed record SignUp(string Email, string Password, string DisplayName);

/// <summary>A sign-in request.</summary>
public sealed record SignIn(string Email, string Password);

/// <summary>A signed-in session: present the token as <c>Authorization: Bearer TOKEN</c>.</summary>
public sealed record Session(string Token, DateTimeOffset ExpiresAt);
