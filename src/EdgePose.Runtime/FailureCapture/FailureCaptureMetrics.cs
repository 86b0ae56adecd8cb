using EdgePose.Runtime.Metrics;
using Prometheus;

namespace EdgePose.Runtime.FailureCapture;

/// <summary>What failure capture kept and what it let go, on the pose metrics registry.</summary>
internal sealed class FailureCaptureMetrics
{
    public const string RateLimited = "rate_limited";
    public const string BufferFull = "buffer_full";
    public const string DiskFull = "disk_full";
    public const string WriteError = "write_error";

    private readonly Counter _written;
    private readonly Counter _dropped;
    private readonly Gauge _bytes;

    public FailureCaptureMetrics(PoseMetrics metrics)
    {
        _written = metrics.Factory.CreateCounter(
            "edgepose_failure_capture_frames_written_total", "Frames on which the model failed, written to the failure capture split.");
        _dropped = metrics.Factory.CreateCounter(
            "edgepose_failure_capture_dropped_total", "Frames on which the model failed but that failure capture did not write, by reason.",
            new CounterConfiguration { LabelNames = ["reason"] });
        _bytes = metrics.Factory.CreateGauge(
            "edgepose_failure_capture_bytes", "Bytes under the failure capture directory (all runs), which EdgePose:FailureCapture:MaxBytes caps.");
        foreach (var reason in new[] { RateLimited, BufferFull, DiskFull, WriteError })
        {
            _dropped.WithLabels(reason);
        }
    }

    public void Written(long bytesOnDisk)
    {
        _written.Inc();
        _bytes.Set(bytesOnDisk);
    }

    public void Dropped(string reason) => _dropped.WithLabels(reason).Inc();

    public void SetBytes(long bytesOnDisk) => _bytes.Set(bytesOnDisk);
}
