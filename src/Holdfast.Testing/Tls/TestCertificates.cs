using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Holdfast.Testing;

/// <summary>Generates a CA and a server certificate signed by it (or by another CA) with .NET's <see cref="CertificateRequest"/>.</summary>
internal static class TestCertificates
{
    /// <summary>The host name of a <see cref="TestCertificateProblem.WrongHostName"/> certificate.</summary>
    public const string OtherHostName = "db.example.internal";

    /// <summary>A CA (with its private key) for a cluster's server certificates.</summary>
    public static X509Certificate2 CreateAuthority(DateTimeOffset now) => NewAuthority("Holdfast LocalPostgres test CA", now);

    /// <summary>A server certificate for the loopback names (or what <paramref name="problem"/> asks for) and its key, both as PEM.</summary>
    public static (string CertificatePem, string KeyPem) CreateServer(X509Certificate2 ca, TestCertificateProblem problem, TimeSpan validity, DateTimeOffset now)
    {
        using var other = problem == TestCertificateProblem.UnknownAuthority ? NewAuthority("Holdfast unknown test CA", now) : null;
        var (notBefore, notAfter) = problem switch
        {
            TestCertificateProblem.Expired => (now.AddDays(-30), now.AddDays(-1)),
            TestCertificateProblem.NotYetValid => (now.AddDays(1), now.AddDays(30)),
            _ => (now.AddMinutes(-5), now + validity),
        };

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(
            problem == TestCertificateProblem.WrongHostName ? $"CN={OtherHostName}" : "CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        if (problem == TestCertificateProblem.WrongHostName)
        {
            names.AddDnsName(OtherHostName);
        }
        else
        {
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            names.AddIpAddress(IPAddress.IPv6Loopback);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var issuer = other ?? ca;
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using var certificate = request.Create(issuer, notBefore, notAfter, RandomNumberGenerator.GetBytes(12));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private static X509Certificate2 NewAuthority(string name, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddDays(-60), now.AddYears(5));
    }
}
