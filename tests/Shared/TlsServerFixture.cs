using Holdfast.Testing;

namespace Holdfast.Tests.Shared;

/// <summary>One TLS-requiring cluster for a test class; its tests rotate the certificate and run one after another.</summary>
public sealed class TlsServerFixture : IAsyncLifetime
{
    private LocalPostgres? postgres;

    public LocalPostgres Postgres => postgres ?? throw new InvalidOperationException("The cluster has not started.");

    public string CaFile => Postgres.CertificateAuthorityFile!;

    public async ValueTask InitializeAsync() =>
        postgres = await LocalPostgres.CreateAsync(new LocalPostgresOptions { Tls = new LocalPostgresTls() });

    public async ValueTask DisposeAsync()
    {
        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }
    }

    /// <summary>A URL for the test role with the given TLS query (e.g. <c>sslmode=verify-full&amp;sslrootcert=...</c>).</summary>
    public string Url(string tlsQuery, string? host = null) =>
        $"postgres://{Uri.EscapeDataString(Postgres.Username)}:{Uri.EscapeDataString(Postgres.Password)}@{host ?? Postgres.Host}:{Postgres.Port}/{Postgres.Database}?{tlsQuery}";
}
