using EdgePose.Runtime.Scene;
using OpenCvSharp;

namespace EdgePose.Runtime.Capture;

public enum ReadOutcome
{
    Frame,
    /// <summary>The device failed or vanished: close it and reopen with backoff.</summary>
    Failed,
    /// <summary>A file or folder source reached its end and does not loop.</summary>
    Ended,
}

/// <summary>One capture device. The capture service owns its lifetime: Open, Read until Failed, Dispose, reopen.</summary>
public interface IFrameSource : IDisposable
{
    /// <summary>What it reads, for status and logs (e.g. "camera /dev/video0 640x480@30").</summary>
    string Description { get; }

    /// <summary>Nominal frame rate, or 0 when unknown.</summary>
    double NominalFramesPerSecond { get; }

    /// <summary>Frames are rendered, not captured: every pose served from them is pretend, and results say so.</summary>
    bool IsSynthetic => false;

    /// <summary>Opens the device; throws <see cref="CaptureUnavailableException"/> with a message a field engineer can act on.</summary>
    void Open();

    /// <summary>Blocks until the next frame (paced to the source's rate for synthetic and file sources).</summary>
    ReadOutcome Read(Mat destination, out SceneTruth? truth, CancellationToken cancellationToken);
}

public sealed class CaptureUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
