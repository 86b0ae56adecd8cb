using System.Globalization;
using OpenCvSharp;

namespace EdgePose.Runtime.Capture;

/// <summary>A V4L2 camera by device path ("/dev/video0") or index ("0"), asked for the configured size and rate.</summary>
internal sealed class CameraSource(string device, int width, int height, double framesPerSecond) : IFrameSource
{
    private VideoCapture? _capture;

    public string Description { get; private set; } = $"camera {device} {width}x{height}@{framesPerSecond:0.##}";

    public double NominalFramesPerSecond { get; private set; }

    public void Open()
    {
        _capture = new VideoCapture();
        var opened = int.TryParse(device, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? _capture.Open(index, VideoCaptureAPIs.V4L2)
            : _capture.Open(device, VideoCaptureAPIs.V4L2);
        if (!opened || !_capture.IsOpened())
        {
            throw new CaptureUnavailableException(
                $"Cannot open camera '{device}' with V4L2: not connected, busy in another process, or no permission " +
                "(is the user in the 'video' group? `v4l2-ctl --list-devices` lists cameras; EdgePose:Capture:CameraDevice).");
        }

        // Requests only: the driver picks its nearest supported mode, so report what it actually chose.
        _capture.Set(VideoCaptureProperties.FrameWidth, width);
        _capture.Set(VideoCaptureProperties.FrameHeight, height);
        _capture.Set(VideoCaptureProperties.Fps, framesPerSecond);
        var actualFps = _capture.Get(VideoCaptureProperties.Fps);
        NominalFramesPerSecond = actualFps > 0 ? actualFps : framesPerSecond;
        Description = $"camera {device} {_capture.FrameWidth}x{_capture.FrameHeight}@{NominalFramesPerSecond:0.##}";
    }

    public ReadOutcome Read(Mat destination, CancellationToken cancellationToken)
    {
        return LiveCapture.Read(_capture, destination);
    }

    public void Dispose() => _capture?.Dispose();
}
