using EdgePose.Runtime.Scene;
using OpenCvSharp;

namespace EdgePose.Runtime.Capture;

/// <summary>A captured image (BGR, 8-bit) with its sequence number and capture time; owns the Mat.</summary>
public sealed class Frame(long sequence, DateTimeOffset captureTime, Mat image, SceneTruth? truth = null) : IDisposable
{
    public long Sequence { get; } = sequence;

    /// <summary>Wall-clock capture time, for the user; ages are measured from <see cref="CaptureTimestamp"/>.</summary>
    public DateTimeOffset CaptureTime { get; } = captureTime;

    /// <summary>Capture time on the monotonic clock (<see cref="TimeProvider.GetTimestamp"/>), which a wall-clock step does not move.</summary>
    public long CaptureTimestamp { get; init; }

    /// <summary>Rendered by the synthetic source, not captured by a camera.</summary>
    public bool Synthetic { get; init; }

    public Mat Image { get; } = image;

    /// <summary>Ground truth, for frames the synthetic source rendered.</summary>
    public SceneTruth? Truth { get; } = truth;

    public void Dispose() => Image.Dispose();
}
