using System.ComponentModel.DataAnnotations;

namespace Holdfast;

/// <summary>What Holdfast watches of the server's TLS certificate.</summary>
public sealed class TlsOptions
{
    /// <summary>The default of <see cref="CertificateExpiryWarning"/>: 14 days.</summary>
    public static readonly TimeSpan DefaultCertificateExpiryWarning = TimeSpan.FromDays(14);

    /// <summary>
    /// An alert fires, <c>/health</c> warns and <c>doctor</c> marks its TLS stage when the server's certificate expires in less
    /// than this. Default 14 days; 0 turns the alert off.
    /// </summary>
    /// <value>From zero to 365 days.</value>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan CertificateExpiryWarning { get; set; } = DefaultCertificateExpiryWarning;

    /// <summary>How often the server's certificate is looked at again (one TLS handshake that sends nothing). Default 1 hour.</summary>
    /// <value>From one second to one day.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CertificateCheckInterval { get; set; } = TimeSpan.FromHours(1);
}
