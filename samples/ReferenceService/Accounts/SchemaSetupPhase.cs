using Holdfast.Startup;
using Npgsql;

namespace ReferenceService.Accounts;

/// <summary>
/// Creates the tables on the admin data source, under an advisory lock so that instances starting together do not
/// race on CREATE TABLE. Idempotent: safe on every start.
/// </summary>
internal sealed class SchemaSetupPhase : IStartupPhase
{
    private const string Schema = """
        SELECT pg_advisory_xact_lock(hashtext('reference-service/schema'));
        CREATE TABLE IF NOT EXISTS accounts (
            id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            email         text NOT NULL UNIQUE,
            display_name  text NOT NULL,
            password_hash text NOT NULL,
            created_at    timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE IF NOT EXISTS sessions (
            token_hash  bytea PRIMARY KEY,
            account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
            expires_at  timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS sessions_account ON sessions (account_id);
        """;

    public string Name => "schema-setup";

    public StartupPhaseKind Kind => StartupPhaseKind.TableSetup;

    public async ValueTask RunAsync(StartupPhaseContext context, CancellationToken cancellationToken)
    {
        await using var connection = await context.AdminDataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(Schema, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
