namespace EdgePose.Runtime.Capture;

/// <summary>What the capture loop is doing now, for health checks and the status API.</summary>
public interface ICaptureMonitor
{
    CaptureStatus Status { get; }

    /// <summary>
    /// How long the capture thread has been inside a device call (open or read) that has not returned; zero outside one.
    /// A native call cannot be abandoned from inside the process, so a long one is the watchdog's business.
    /// </summary>
    TimeSpan BlockedFor { get; }
}

/// <summary>An immutable snapshot of the capture loop.</summary>
/// <param name="Connected">The source is open and delivering frames.</param>
/// <param name="Description">The source, e.g. "camera /dev/video0 640x480@30".</param>
/// <param name="Error">Why the source is not delivering, or null.</param>
/// <param name="DisconnectedSince">When frames stopped (or the first open failed); null while connected.</param>
/// <param name="FramesPerSecond">Moving average of the delivered frame rate.</param>
/// <param name="Reconnects">Attempts to reopen a failed source since start.</param>
/// <param name="FramesCaptured">Frames handed to the pipeline since start.</param>
public sealed record CaptureStatus(
    bool Connected,
    string Description,
    string? Error,
    DateTimeOffset? DisconnectedSince,
    double FramesPerSecond,
    long Reconnects,
    long FramesCaptured)
{
    /// <summary>The source renders its frames (the synthetic camera): poses from it are pretend.</summary>
    public bool Synthetic { get; init; }

    /// <summary>
    /// <see cref="DisconnectedSince"/> on the monotonic clock (<see cref="TimeProvider.GetTimestamp"/>): how long the camera
    /// has been lost is measured from here, so a wall-clock step cannot hide an outage or invent one.
    /// </summary>
    public long? DisconnectedTimestamp { get; init; }

    /// <summary>How long frames have been missing; zero while connected.</summary>
    public TimeSpan LostFor(TimeProvider time) =>
        Connected || DisconnectedTimestamp is not { } since ? TimeSpan.Zero : time.GetElapsedTime(since);
}
