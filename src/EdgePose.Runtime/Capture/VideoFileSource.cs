using Microsoft.Extensions.Logging;
using OpenCvSharp;

namespace EdgePose.Runtime.Capture;

/// <summary>A video file decoded with FFmpeg, replayed at the file's own rate (or FramesPerSecond when it states none).</summary>
internal sealed class VideoFileSource(string path, bool loop, double fallbackFramesPerSecond, TimeProvider timeProvider, ILogger logger)
    : IFrameSource
{
    private VideoCapture? _capture;
    private FramePacer? _pacer;

    public string Description { get; private set; } = $"video {path}";

    public double NominalFramesPerSecond { get; private set; }

    public void Open()
    {
        if (!File.Exists(path))
        {
            throw new CaptureUnavailableException($"Video file '{path}' does not exist (EdgePose:Capture:VideoPath).");
        }

        _capture = new VideoCapture(path, VideoCaptureAPIs.FFMPEG);
        if (!_capture.IsOpened())
        {
            throw new CaptureUnavailableException(
                $"FFmpeg cannot open video file '{path}': unsupported container or codec, or a damaged file (EdgePose:Capture:VideoPath).");
        }

        var fileFps = _capture.Get(VideoCaptureProperties.Fps);
        NominalFramesPerSecond = fileFps is > 0 and <= 1000 ? fileFps : fallbackFramesPerSecond;
        _pacer = new FramePacer(NominalFramesPerSecond, timeProvider);
        Description = $"video {path} {_capture.FrameWidth}x{_capture.FrameHeight}@{NominalFramesPerSecond:0.##}{(loop ? " loop" : "")}";
    }

    public ReadOutcome Read(Mat destination, CancellationToken cancellationToken)
    {
        var capture = _capture ?? throw new InvalidOperationException("Open the video source before reading from it.");
        if (!capture.Read(destination) || destination.Empty())
        {
            if (!loop)
            {
                return ReadOutcome.Ended;
            }

            logger.VideoRewound(path);
            capture.Set(VideoCaptureProperties.PosFrames, 0);
            // A file that yields nothing even from its start is broken, not finished.
            if (!capture.Read(destination) || destination.Empty())
            {
                return ReadOutcome.Failed;
            }
        }

        _pacer!.WaitForSlot(cancellationToken);
        return ReadOutcome.Frame;
    }

    public void Dispose() => _capture?.Dispose();
}
