using OpenCvSharp;

namespace EdgePose.Runtime.Capture;

/// <summary>A captured image (BGR, 8-bit) with its sequence number and capture time; owns the Mat.</summary>
public sealed class Frame(long sequence, DateTimeOffset captureTime, Mat image) : IDisposable
{
    public long Sequence { get; } = sequence;

    public DateTimeOffset CaptureTime { get; } = captureTime;

    public Mat Image { get; } = image;

    public void Dispose() => Image.Dispose();
}
