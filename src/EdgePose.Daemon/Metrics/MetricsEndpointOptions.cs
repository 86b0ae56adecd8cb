namespace EdgePose.Daemon.Metrics;

/// <summary>Section "EdgePose:Metrics": the Prometheus listener, separate from gRPC.</summary>
public sealed class MetricsEndpointOptions
{
    public const string SectionName = "EdgePose:Metrics";

    /// <summary>host:port serving /metrics over HTTP/1.1; empty disables the listener.</summary>
    public string? Address { get; set; } = "127.0.0.1:9464";
}
