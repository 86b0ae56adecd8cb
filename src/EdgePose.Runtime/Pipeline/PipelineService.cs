using System.Collections.Immutable;
using System.Threading.Channels;
using EdgePose.Runtime.Capture;
using EdgePose.Runtime.FailureCapture;
using EdgePose.Runtime.Inference;
using EdgePose.Runtime.Metrics;
using EdgePose.Runtime.Tracking;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePose.Runtime.Pipeline;

/// <summary>The live loop: newest frame → estimator → published snapshot, with per-stage metrics.</summary>
internal sealed partial class PipelineService(
    FrameChannel frames,
    ICaptureMonitor capture,
    IModelHost modelHost,
    IPoseEstimator estimator,
    IPoseTracker tracker,
    PoseResultStore store,
    LiveFrameTap liveFrames,
    FailureCaptureQueue failureCapture,
    Workcell workcell,
    PoseMetrics metrics,
    IOptions<PipelineOptions> options,
    TimeProvider timeProvider,
    ILogger<PipelineService> logger) : BackgroundService
{
    /// <summary>Linux shows the threads as edgepose-live-0 and edgepose-live-1 (in top -H, /proc/PID/task/*/comm).</summary>
    private const string LiveThreadName = "edgepose-live";

    // One for the loop, one for the baseline it starts beside the model on a fallback frame (PoseEstimator starts it on
    // the caller's scheduler, then waits for it): the loop runs one continuation at a time, so two threads never deadlock.
    private const int LiveThreadCount = 2;

    private readonly PipelineOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var liveThreads = new LiveThreadScheduler(LiveThreadName, LiveThreadCount, _options.LiveThreadPriorityBoost, logger);
        // What follows the loop (joining its threads, the host's stop) continues on the pool, never on a live thread.
        await liveThreads.Run(() => RunLiveAsync(stoppingToken)).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
    }

    /// <summary>
    /// Runs on the live threads, and so does every continuation of its awaits: they capture the live scheduler (none of
    /// them uses ConfigureAwait(false), which would resume on the pool), and channel reads resume through it too.
    /// </summary>
    private async Task RunLiveAsync(CancellationToken stoppingToken)
    {
        try
        {
            await modelHost.Initialized.WaitAsync(stoppingToken);
            LogStarted(logger, estimator.Policy, modelHost.State);
            await RunAsync(frames.Reader, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Per-frame errors are handled in Process; reaching here means the loop itself is broken.
            // Exit non-zero (EX_SOFTWARE) so systemd's Restart=on-failure brings the daemon back.
            LogLoopFailed(logger, ex);
            Environment.ExitCode = 70;
            throw;
        }
        finally
        {
            store.Publish(store.Current with { State = PipelineState.Stopped, Reason = "stopped", HeartbeatTimestamp = timeProvider.GetTimestamp() });
            store.CompleteAll();
        }
    }

    private async Task RunAsync(ChannelReader<Frame> reader, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var waitStart = timeProvider.GetTimestamp();
            if (!reader.TryRead(out var frame))
            {
                if (!await WaitForFrameAsync(reader, stoppingToken))
                {
                    return;
                }

                continue;
            }

            using (frame)
            {
                Process(frame, timeProvider.GetElapsedTime(waitStart));
            }
        }
    }

    /// <summary>False when the capture side completed the channel; on an idle timeout the snapshot is refreshed (heartbeat, state).</summary>
    private async Task<bool> WaitForFrameAsync(ChannelReader<Frame> reader, CancellationToken stoppingToken)
    {
        using var idle = new CancellationTokenSource(_options.IdleHeartbeatInterval, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, idle.Token);
        try
        {
            return await reader.WaitToReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            var current = store.Current;
            var (state, reason) = Assess(current.Latest is not null);
            store.Publish(current with { State = state, Reason = reason, HeartbeatTimestamp = timeProvider.GetTimestamp() });
            return true;
        }
    }

    private void Process(Frame frame, TimeSpan captureWait)
    {
        FrameEstimate estimate;
        try
        {
            estimate = estimator.Estimate(frame.Image, workcell.Camera);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // One bad frame must not stop the loop; the next one gets a fresh try.
            metrics.Error("pipeline");
            LogFrameFailed(logger, frame.Sequence, ex);
            return;
        }

        var poses = tracker.Update(estimate.Poses, frame.CaptureTimestamp);
        var publishTime = timeProvider.GetUtcNow();
        var published = timeProvider.GetTimestamp();
        var endToEnd = timeProvider.GetElapsedTime(frame.CaptureTimestamp, published);
        var result = new PoseResult(
            frame.Sequence,
            frame.CaptureTime,
            publishTime,
            new StageTimings(captureWait, estimate.Preprocess, estimate.Inference, estimate.Pnp, estimate.Baseline, endToEnd),
            poses)
        {
            CaptureTimestamp = frame.CaptureTimestamp,
            Synthetic = frame.Synthetic,
        };

        var current = store.Current;
        var bySource = current.PosesBySource;
        var byReason = current.FallbacksByReason;
        foreach (var pose in estimate.Poses)
        {
            bySource = bySource.SetItem(pose.Source, bySource.GetValueOrDefault(pose.Source) + 1);
            metrics.PosePublished(pose);
            if (pose.FallbackReason != FallbackReason.None)
            {
                byReason = byReason.SetItem(pose.FallbackReason, byReason.GetValueOrDefault(pose.FallbackReason) + 1);
            }
        }

        var (state, reason) = Assess(hasResult: true);
        store.Publish(new PipelineSnapshot(state, reason, result, current.FramesProcessed + 1, bySource, byReason, published));
        liveFrames.Offer(frame.Image, result);
        failureCapture.Offer(frame.Image, result);
        Observe(result.Timings, estimate);
        metrics.SetNewestResultCaptureTime(frame.CaptureTime);
        if (endToEnd > _options.LatencyBudget)
        {
            metrics.BudgetOverrun();
        }
    }

    private void Observe(StageTimings timings, FrameEstimate estimate)
    {
        metrics.ObserveStage(PoseMetrics.StageCaptureWait, timings.CaptureWait);
        if (estimate.Inference > TimeSpan.Zero)
        {
            metrics.ObserveStage(PoseMetrics.StagePreprocess, timings.Preprocess);
            metrics.ObserveStage(PoseMetrics.StageInference, timings.Inference);
            metrics.ObserveStage(PoseMetrics.StagePnp, timings.Pnp);
        }

        if (estimate.Baseline > TimeSpan.Zero)
        {
            metrics.ObserveStage(PoseMetrics.StageBaseline, timings.Baseline);
        }

        metrics.ObserveEndToEnd(timings.EndToEnd);
    }

    private (PipelineState State, string? Reason) Assess(bool hasResult)
    {
        var camera = capture.Status;
        if (!camera.Connected)
        {
            return (PipelineState.Degraded, $"camera: {camera.Error ?? "not connected"}");
        }

        if (estimator.Policy != FallbackPolicy.BaselineOnly && modelHost.State is ModelState.Absent or ModelState.Failed)
        {
            return (PipelineState.Degraded, $"model {modelHost.State.ToString().ToLowerInvariant()}: {modelHost.LastError}; the baseline answers");
        }

        return hasResult ? (PipelineState.Ready, null) : (PipelineState.Starting, "waiting for the first frame");
    }

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Pipeline running: policy {Policy}, model {ModelState}")]
    private static partial void LogStarted(ILogger logger, FallbackPolicy policy, ModelState modelState);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Critical, Message = "Pipeline loop failed; stopping the daemon")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Error, Message = "Frame {Sequence} failed; continuing with the next frame")]
    private static partial void LogFrameFailed(ILogger logger, long sequence, Exception exception);
}
