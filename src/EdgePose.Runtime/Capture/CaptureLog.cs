using Microsoft.Extensions.Logging;

namespace EdgePose.Runtime.Capture;

/// <summary>Capture log events; EventIds 1000-1099 are stable so alerts and log queries can key on them.</summary>
internal static partial class CaptureLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Capture source {Description} opened")]
    public static partial void SourceOpened(this ILogger logger, string description);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Capture source {Description} is delivering frames")]
    public static partial void SourceConnected(this ILogger logger, string description);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Capture source {Description} failed: {Error}; reopening in {RetryDelay}")]
    public static partial void SourceFailed(this ILogger logger, string description, string error, TimeSpan retryDelay, Exception? exception);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "No frame from {Description} within {ReadTimeout}; treating the source as failed")]
    public static partial void ReadTimedOut(this ILogger logger, string description, TimeSpan readTimeout);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Reopening capture source {Description} (attempt {Attempt})")]
    public static partial void Reconnecting(this ILogger logger, string description, long attempt);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Capture source {Description} ended after {Frames} frames; capture stops")]
    public static partial void SourceEnded(this ILogger logger, string description, long frames);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Capture stopped after {Frames} frames")]
    public static partial void Stopped(this ILogger logger, long frames);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Skipping unreadable image {Path}")]
    public static partial void ImageSkipped(this ILogger logger, string path);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Debug, Message = "Video {Path} reached its end; rewinding")]
    public static partial void VideoRewound(this ILogger logger, string path);
}
