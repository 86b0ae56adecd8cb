using OpenCvSharp;

namespace EdgePose.Runtime.Capture;

/// <summary>A GStreamer pipeline ending in appsink, for cameras only GStreamer drives (Jetson CSI through nvarguscamerasrc).</summary>
internal sealed class GstreamerSource(string pipeline) : IFrameSource
{
    public const string UnavailableMessage =
        "EdgePose:Capture:Source is Gstreamer, but the OpenCV library loaded here was built without GStreamer " +
        "(Cv2.GetBuildInformation() has no \"GStreamer: YES\"). Use Source=Camera for V4L2 devices or Source=Video for files, " +
        "or run with an OpenCV built with GStreamer (e.g. the JetPack image's).";

    private VideoCapture? _capture;

    public string Description => $"gstreamer {pipeline}";

    public double NominalFramesPerSecond { get; private set; }

    public void Open()
    {
        if (!OpenCvVideoBackends.GstreamerAvailable)
        {
            throw new CaptureUnavailableException(UnavailableMessage);
        }

        _capture = new VideoCapture(pipeline, VideoCaptureAPIs.GSTREAMER);
        if (!_capture.IsOpened())
        {
            throw new CaptureUnavailableException(
                $"GStreamer cannot start pipeline '{pipeline}': check it with `gst-launch-1.0` and that it ends in appsink (EdgePose:Capture:GstreamerPipeline).");
        }

        NominalFramesPerSecond = Math.Max(0, _capture.Get(VideoCaptureProperties.Fps));
    }

    public ReadOutcome Read(Mat destination, CancellationToken cancellationToken)
    {
        return LiveCapture.Read(_capture, destination);
    }

    public void Dispose() => _capture?.Dispose();
}
