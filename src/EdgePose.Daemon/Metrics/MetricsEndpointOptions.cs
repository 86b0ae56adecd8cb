using EdgePose.Daemon.Hosting;

namespace EdgePose.Daemon.Metrics;

/// <summary>Section "EdgePose:Metrics": the Prometheus listener, separate from gRPC.</summary>
public sealed class MetricsEndpointOptions
{
    public const string SectionName = "EdgePose:Metrics";

    /// <summary>host:port serving /metrics over HTTP/1.1; empty disables the listener.</summary>
    [ListenAddress(EmptyDisables = true)] public string? Address { get; set; } = "127.0.0.1:9464";

    /// <summary>Null when the listener is disabled.</summary>
    internal ListenAddress? Listen => string.IsNullOrWhiteSpace(Address) ? null : ListenAddress.Parse(Address);
}
