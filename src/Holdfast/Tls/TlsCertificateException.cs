using System.Security.Authentication;

namespace Holdfast.Tls;

/// <summary>
/// Npgsql's rejection of the server's certificate (which says only that its validation refused it), with what a handshake of
/// Holdfast's own saw: the problem (unknown CA, another host name, expired) and the certificate's facts.
/// </summary>
internal sealed class TlsCertificateException : AuthenticationException
{
    public TlsCertificateException(TlsObservation observation, Exception inner)
        : base(TlsDiagnosisText.Summary(observation), inner) => Observation = observation;

    public TlsCertificateException()
    {
        Observation = new TlsObservation { Offered = true, Host = "?" };
    }

    public TlsCertificateException(string message)
        : base(message)
    {
        Observation = new TlsObservation { Offered = true, Host = "?" };
    }

    public TlsCertificateException(string message, Exception inner)
        : base(message, inner)
    {
        Observation = new TlsObservation { Offered = true, Host = "?" };
    }

    public TlsObservation Observation { get; }
}
