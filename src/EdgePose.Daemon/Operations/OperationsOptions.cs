using System.ComponentModel.DataAnnotations;

namespace EdgePose.Daemon.Operations;

/// <summary>When the live view is served on the operations (metrics) listener.</summary>
public enum LiveViewMode
{
    /// <summary>Served only while the operations listener is bound to a loopback address (reach it over an SSH tunnel).</summary>
    Loopback,
    /// <summary>Served on any address: anyone who reaches the port sees the camera.</summary>
    On,
    Off,
}

/// <summary>Section "EdgePose:Operations": readiness probes and the live view, on the metrics listener.</summary>
public sealed class OperationsOptions
{
    public const string SectionName = "EdgePose:Operations";

    /// <summary>/readyz and gRPC health turn not-ready when the newest live result was captured longer ago than this.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan MaxResultAge { get; set; } = TimeSpan.FromSeconds(5);

    public LiveViewMode LiveView { get; set; } = LiveViewMode.Loopback;

    /// <summary>Frame-rate cap of each live-view stream: every frame sent costs the loop one copy and the host one encode.</summary>
    [Range(0.2, 30.0)] public double LiveViewMaxFramesPerSecond { get; set; } = 5;

    /// <summary>Viewers beyond this many get 503: each stream encodes on its own.</summary>
    [Range(1, 16)] public int LiveViewMaxViewers { get; set; } = 2;

    [Range(1, 100)] public int LiveViewJpegQuality { get; set; } = 80;

    /// <summary>How many of the latest failures (fallbacks, objects not found) the live view lists.</summary>
    [Range(1, 1000)] public int RecentFailures { get; set; } = 20;
}
