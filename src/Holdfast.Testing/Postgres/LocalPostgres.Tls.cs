using System.Security.Cryptography.X509Certificates;
using Npgsql;

namespace Holdfast.Testing;

public sealed partial class LocalPostgres
{
    private const string CaFileName = "ca.crt";
    private X509Certificate2? authority;

    /// <summary>
    /// The PEM file of the CA that signs this cluster's server certificate (pass it as <c>sslrootcert</c> / Npgsql's
    /// <c>Root Certificate</c>); null when the cluster was created without <see cref="LocalPostgresOptions.Tls"/>. With
    /// <see cref="TestCertificateProblem.UnknownAuthority"/> the server's certificate is signed by another CA than this one.
    /// </summary>
    public string? CertificateAuthorityFile => options.Tls is null ? null : Path.Combine(RootDirectory, CaFileName);

    /// <summary>True when the server refuses TCP connections without TLS.</summary>
    public bool RequiresTls => options.Tls?.Require == true;

    /// <summary>The host name a <see cref="TestCertificateProblem.WrongHostName"/> certificate is for.</summary>
    public static string OtherCertificateHostName => TestCertificates.OtherHostName;

    /// <summary>
    /// Gives the server a new certificate from the same CA (or with <paramref name="problem"/>) and reloads its
    /// configuration (<c>pg_reload_conf()</c>): new connections get it, established ones keep theirs — a certificate rotation.
    /// </summary>
    /// <param name="problem">What is wrong with the new certificate, if anything.</param>
    /// <param name="validity">How long it is valid from now; the cluster's <see cref="LocalPostgresTls.Validity"/> when null.</param>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <exception cref="InvalidOperationException">The cluster was created without TLS.</exception>
    public async Task ReplaceCertificateAsync(TestCertificateProblem problem, TimeSpan? validity = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var tls = options.Tls ?? throw new InvalidOperationException("This cluster has no TLS: create it with LocalPostgresOptions.Tls.");
        var written = await WriteServerCertificateAsync(problem, validity ?? tls.Validity, cancellationToken);
        await ExecuteAsync("SELECT pg_reload_conf()", cancellationToken);
        await AwaitServedCertificateAsync(written, cancellationToken);
    }

    /// <summary>
    /// Waits until a new TLS connection is handed the certificate with <paramref name="thumbprint"/>. The postmaster reloads on
    /// SIGHUP after <c>pg_reload_conf()</c> returns, later still on a loaded machine, and until then connections get the old one.
    /// </summary>
    private async Task AwaitServedCertificateAsync(string thumbprint, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlDataSourceBuilder(SuperuserConnectionString()) { ConnectionStringBuilder = { SslMode = SslMode.Require } };
        string? served = null;
        builder.UseSslClientAuthenticationOptionsCallback(tls => tls.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            served = certificate?.GetCertHashString();
            return true;
        });
        await using var source = builder.Build();
        var deadline = TimeProvider.System.GetTimestamp() + (10 * TimeProvider.System.TimestampFrequency);
        while (true)
        {
            await using (await source.OpenConnectionAsync(cancellationToken))
            {
                if (string.Equals(served, thumbprint, StringComparison.OrdinalIgnoreCase))
                {
                    return;
                }
            }

            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"The server still hands out its old certificate 10 s after pg_reload_conf(); see {LogFile}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, cancellationToken);
        }
    }

    /// <summary>Writes the CA, the server certificate and its key (0600, the server's user's), and makes TLS required if asked.</summary>
    private async Task WriteTlsAsync(LocalPostgresTls tls, CancellationToken cancellationToken)
    {
        authority = TestCertificates.CreateAuthority(TimeProvider.System.GetUtcNow());
        await File.WriteAllTextAsync(Path.Combine(RootDirectory, CaFileName), authority.ExportCertificatePem(), cancellationToken);
        await WriteServerCertificateAsync(tls.Problem, tls.Validity, cancellationToken);
        if (tls.Require)
        {
            // First match wins: a TCP connection without TLS meets 'reject' before the password lines (as "require SSL" does).
            var hba = Path.Combine(DataDirectory, "pg_hba.conf");
            var rules = await File.ReadAllTextAsync(hba, cancellationToken);
            const string Reject = "hostnossl all all 0.0.0.0/0 reject\nhostnossl all all ::/0 reject\n" +
                                  "hostnossl replication all 0.0.0.0/0 reject\nhostnossl replication all ::/0 reject\n";
            await File.WriteAllTextAsync(hba, "# Holdfast LocalPostgres: TLS required\n" + Reject + rules, cancellationToken);
        }
    }

    /// <returns>The new certificate's thumbprint.</returns>
    private async Task<string> WriteServerCertificateAsync(TestCertificateProblem problem, TimeSpan validity, CancellationToken cancellationToken)
    {
        var ca = authority ?? throw new InvalidOperationException("This cluster's CA is not held by this process (a standby's certificate is its primary's).");
        var (certificatePem, keyPem) = TestCertificates.CreateServer(ca, problem, validity, TimeProvider.System.GetUtcNow());
        var certificateFile = Path.Combine(DataDirectory, "server.crt");
        var keyFile = Path.Combine(DataDirectory, "server.key");
        await File.WriteAllTextAsync(certificateFile, certificatePem, cancellationToken);
        await File.WriteAllTextAsync(keyFile, keyPem, cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await PostgresTools.GiveToServiceUserAsync(certificateFile, cancellationToken);
        await PostgresTools.GiveToServiceUserAsync(keyFile, cancellationToken);
        using var written = X509Certificate2.CreateFromPem(certificatePem);
        return written.Thumbprint;
    }
}
