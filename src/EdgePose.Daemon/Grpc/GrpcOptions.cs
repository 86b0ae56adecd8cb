using System.ComponentModel.DataAnnotations;
using EdgePose.Daemon.Hosting;

namespace EdgePose.Daemon.Grpc;

/// <summary>Section "EdgePose:Grpc".</summary>
public sealed class GrpcOptions
{
    public const string SectionName = "EdgePose:Grpc";

    /// <summary>host:port to listen on; HTTP/2 cleartext unless a certificate is configured.</summary>
    [Required, ListenAddress] public string Address { get; set; } = "127.0.0.1:50051";

    internal ListenAddress Listen => ListenAddress.Parse(Address);

    /// <summary>PEM certificate (chain) for TLS.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key of <see cref="CertificatePath"/>.</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>PEM CA bundle: when set, clients must present a certificate it signed (mutual TLS).</summary>
    public string? ClientCaPath { get; set; }

    /// <summary>
    /// Under mutual TLS, the client identities accepted: a certificate's subject common name or one of its DNS names must
    /// be on the list. Empty: any certificate the CA signed for client authentication.
    /// </summary>
    public List<string> AllowedClientNames { get; set; } = [];

    [Range(1024, 256 * 1024 * 1024)] public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest width or height accepted by EstimatePose.</summary>
    [Range(16, 65536)] public int MaxImageSidePx { get; set; } = 8192;

    /// <summary>EstimatePose calls in progress at once; more get RESOURCE_EXHAUSTED before their image is decoded.</summary>
    [Range(1, 64)] public int MaxConcurrentEstimates { get; set; } = 2;

    /// <summary>
    /// Decoded pixels (width × height) the EstimatePose calls in progress may hold together; a call that would exceed it
    /// gets RESOURCE_EXHAUSTED before decoding. The default, 4096², keeps a flood of huge images from taking the memory
    /// and the cores the live loop needs; an image larger than the whole budget is always refused.
    /// </summary>
    [Range(typeof(long), "256", "4294967296")] public long EstimatePixelBudget { get; set; } = 4096L * 4096;

    /// <summary>Health turns NOT_SERVING once the camera has been lost this long.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan CameraLostNotServingAfter { get; set; } = TimeSpan.FromSeconds(5);

    [Range(1, 100)] public int OverlayJpegQuality { get; set; } = 85;

    /// <summary>
    /// On stop, how long open connections (gRPC calls, live-view viewers) may take to finish before they are aborted. It
    /// stays under the host's 5 s shutdown timeout, which stays under the unit's TimeoutStopSec.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:04")]
    public TimeSpan ShutdownDrainTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
