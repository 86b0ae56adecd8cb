using EdgePose.Core.Objects;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenCvSharp;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace EdgePose.Runtime.FailureCapture;

/// <summary>Writes the frames that <see cref="FailureCaptureQueue"/> kept, off the live loop, into this run's <see cref="FailureSplit"/>.</summary>
internal sealed partial class FailureCaptureWriter(
    FailureCaptureQueue queue,
    Workcell workcell,
    FailureCaptureMetrics metrics,
    IOptions<FailureCaptureOptions> options,
    TimeProvider timeProvider,
    ILogger<FailureCaptureWriter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!queue.Enabled)
        {
            return;
        }

        await Task.Yield();
        var settings = options.Value;
        FailureSplit? split = null;
        try
        {
            await foreach (var frame in queue.Reader.ReadAllAsync(stoppingToken))
            {
                using (frame)
                {
                    try
                    {
                        if (split is null)
                        {
                            split = FailureSplit.Create(settings.Directory!, timeProvider.GetUtcNow(), workcell, settings.MaxBytes);
                            LogSplitStarted(logger, split.Root, split.Split, settings.MinInterval, settings.MaxBytes);
                        }

                        if (split.TryAdd(frame))
                        {
                            metrics.Written(split.UsedBytes);
                            continue;
                        }

                        metrics.Dropped(FailureCaptureMetrics.DiskFull);
                        metrics.SetBytes(split.UsedBytes);
                        queue.MarkDiskFull();
                        LogDiskFull(logger, split.Root, split.UsedBytes, settings.MaxBytes, split.Frames);
                        return;
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OpenCVException)
                    {
                        // A full or failing disk must not stop the daemon: this frame is lost, the next one gets a fresh try.
                        metrics.Dropped(FailureCaptureMetrics.WriteError);
                        LogWriteFailed(logger, frame.Result.FrameSequence, ex);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 1900, Level = LogLevel.Information, Message = "Failure capture: writing split {Split} under {Root}, at most one frame per {MinInterval}, {MaxBytes} bytes in all")]
    private static partial void LogSplitStarted(ILogger logger, string root, string split, TimeSpan minInterval, long maxBytes);

    [LoggerMessage(EventId = 1901, Level = LogLevel.Warning, Message = "Failure capture: {Root} holds {UsedBytes} of its {MaxBytes} bytes; no more frames this run ({Frames} written)")]
    private static partial void LogDiskFull(ILogger logger, string root, long usedBytes, long maxBytes, int frames);

    [LoggerMessage(EventId = 1902, Level = LogLevel.Warning, Message = "Failure capture: could not write frame {Sequence}; continuing")]
    private static partial void LogWriteFailed(ILogger logger, long sequence, Exception exception);
}
