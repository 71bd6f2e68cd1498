using System.Security.Cryptography;
using Holdfast;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace ReferenceService.Accounts;

/// <summary>
/// Accounts and sessions in PostgreSQL through the guarded data source. Reads and idempotent writes use
/// <c>ExecuteAsync</c> (retried as a whole); creating an account is not idempotent, so it opens a connection
/// (the open is guarded) and its insert is never retried.
/// </summary>
internal sealed class AccountStore(HoldfastDataSource db, IPasswordHasher<Account> hasher, TimeProvider time)
{
    private static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(12);
    private static readonly Account Nobody = new(0, "", "", DateTimeOffset.MinValue);

    /// <summary>Creates an account; null when the e-mail is taken.</summary>
    public async Task<Account?> CreateAsync(SignUp request, CancellationToken cancellationToken)
    {
        var hash = hasher.HashPassword(Nobody, request.Password);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "INSERT INTO accounts (email, display_name, password_hash) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING " +
            "RETURNING id, email, display_name, created_at", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Normalize(request.Email) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = request.DisplayName.Trim() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = hash });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Checks the password and starts a session; null when the e-mail or password is wrong.</summary>
    public async Task<Session?> SignInAsync(SignIn request, CancellationToken cancellationToken)
    {
        var email = Normalize(request.Email);
        var found = await db.ExecuteAsync(email, static async (connection, email, token) =>
        {
            await using var command = new NpgsqlCommand("SELECT id, password_hash FROM accounts WHERE email = $1", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = email });
            await using var reader = await command.ExecuteReaderAsync(token);
            return await reader.ReadAsync(token) ? (Id: reader.GetInt64(0), Hash: reader.GetString(1)) : ((long Id, string Hash)?)null;
        }, cancellationToken);
        if (found is not { } account || hasher.VerifyHashedPassword(Nobody, account.Hash, request.Password) == PasswordVerificationResult.Failed)
        {
            return null;
        }

        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var expiresAt = time.GetUtcNow() + SessionLifetime;
        // Idempotent: a retry inserts the same token, and ON CONFLICT keeps one row.
        await db.ExecuteAsync((Hash: TokenHash(token), account.Id, expiresAt), static async (connection, session, ct) =>
        {
            await using var command = new NpgsqlCommand(
                "INSERT INTO sessions (token_hash, account_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING", connection);
            command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = session.Hash });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = session.Id });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = session.expiresAt });
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);
        return new Session(token, expiresAt);
    }

    /// <summary>The account of a live session; null when the token is unknown or expired.</summary>
    public Task<Account?> FindBySessionAsync(string token, CancellationToken cancellationToken) =>
        db.ExecuteAsync(TokenHash(token), static async (connection, hash, ct) =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT a.id, a.email, a.display_name, a.created_at FROM sessions s JOIN accounts a ON a.id = s.account_id " +
                "WHERE s.token_hash = $1 AND s.expires_at > now()", connection);
            command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = hash });
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? Read(reader) : null;
        }, cancellationToken).AsTask();

    private static Account Read(NpgsqlDataReader reader) =>
        new(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3));

    private static string Normalize(string email) => email.Trim().ToLowerInvariant();

    private static byte[] TokenHash(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));
}
