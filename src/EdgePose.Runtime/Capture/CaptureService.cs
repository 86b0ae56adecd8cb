using EdgePose.Runtime.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace EdgePose.Runtime.Capture;

/// <summary>
/// Reads the configured source into the <see cref="FrameChannel"/> and keeps it alive: any failure closes the source and
/// reopens it after an exponential backoff, so a camera that is unplugged and plugged back in resumes by itself.
/// </summary>
internal sealed class CaptureService(
    IFrameSourceFactory sourceFactory,
    FrameChannel channel,
    PoseMetrics metrics,
    IOptions<CaptureOptions> options,
    TimeProvider timeProvider,
    ILogger<CaptureService> logger) : BackgroundService, ICaptureMonitor
{
    // Weight of the newest frame interval in the moving average: roughly the last ten frames count.
    private const double FpsSmoothing = 0.1;

    private readonly CaptureOptions _options = options.Value;
    private readonly ReconnectBackoff _backoff = new(options.Value.ReconnectInitialDelay, options.Value.ReconnectMaxDelay, Random.Shared);
    private readonly Lock _statusLock = new();
    private volatile CaptureStatus _status = new(false, "not started", null, null, 0, 0, 0);
    // Set by the read watchdog on its timer thread while the capture thread is blocked in Read.
    private volatile bool _readTimedOut;
    // Monotonic timestamp at which the capture thread entered a device call; 0 outside one.
    private long _deviceCallStarted;
    private long _sequence;
    private long _lastFrameTimestamp;
    private double _meanFrameIntervalSeconds;

    public CaptureStatus Status => _status;

    public TimeSpan BlockedFor => Interlocked.Read(ref _deviceCallStarted) is var started and not 0 ? timeProvider.GetElapsedTime(started) : TimeSpan.Zero;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // Native reads block for a frame period or longer; on the thread pool they would hold a worker for the daemon's lifetime.
        Task.Factory.StartNew(() => Run(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Queued frames hold native memory and nobody reads them after stop.
        channel.Complete();
    }

    private void Run(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var session = RunSession(stoppingToken);
                if (session.End == SessionEnd.Cancelled)
                {
                    return;
                }

                if (session.End == SessionEnd.Ended)
                {
                    MarkDisconnected("source ended");
                    logger.SourceEnded(_status.Description, _status.FramesCaptured);
                    return;
                }

                MarkDisconnected(session.Error!);
                metrics.Error(PoseMetrics.StageCapture);
                var delay = _backoff.Next();
                logger.SourceFailed(_status.Description, session.Error!, delay, session.Exception);
                if (!WaitBeforeReconnect(delay, stoppingToken))
                {
                    return;
                }

                var attempt = UpdateStatus(s => s with { Reconnects = s.Reconnects + 1 }).Reconnects;
                metrics.CameraReconnect();
                logger.Reconnecting(_status.Description, attempt);
            }
        }
        finally
        {
            // End of stream for the pipeline: it still gets the frames already queued, then sees the channel complete.
            channel.Writer.TryComplete();
            if (_status.Connected)
            {
                MarkDisconnected("capture stopped");
            }

            logger.Stopped(_status.FramesCaptured);
        }
    }

    /// <summary>Opens one source and reads it until it fails, ends or capture stops; the source is always disposed.</summary>
    private SessionResult RunSession(CancellationToken stoppingToken)
    {
        IFrameSource? source = null;
        ITimer? watchdog = null;
        try
        {
            source = sourceFactory.Create();
            UpdateStatus(s => s with { Description = source.Description });
            EnterDeviceCall();
            source.Open();
            LeaveDeviceCall();
            var description = source.Description;
            var synthetic = source.IsSynthetic;
            UpdateStatus(s => s with { Description = description, Synthetic = synthetic });
            metrics.SetCaptureSynthetic(synthetic);
            logger.SourceOpened(description);

            var readTimeout = ReadTimeoutFor(source);
            watchdog = timeProvider.CreateTimer(_ => OnReadTimedOut(description, readTimeout), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _lastFrameTimestamp = 0;
            while (true)
            {
                stoppingToken.ThrowIfCancellationRequested();
                _readTimedOut = false;
                watchdog.Change(readTimeout, Timeout.InfiniteTimeSpan);
                // Ownership of the Mat passes to the Frame once published; until then this method disposes it.
                var image = new Mat();
                try
                {
                    EnterDeviceCall();
                    var outcome = source.Read(image, stoppingToken);
                    LeaveDeviceCall();
                    watchdog.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                    if (_readTimedOut)
                    {
                        // The watchdog already reported it; a frame this late is stale anyway.
                        return SessionResult.Failed($"no frame within {readTimeout.TotalSeconds:0.###} s");
                    }

                    switch (outcome)
                    {
                        case ReadOutcome.Ended:
                            return new SessionResult(SessionEnd.Ended);
                        case ReadOutcome.Failed:
                            return SessionResult.Failed("the source reported a read failure");
                        case ReadOutcome.Frame when image.Empty():
                            return SessionResult.Failed("the source delivered an empty frame");
                        default:
                            Publish(image, description, synthetic);
                            image = null;
                            break;
                    }
                }
                finally
                {
                    image?.Dispose();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return new SessionResult(SessionEnd.Cancelled);
        }
        catch (Exception ex)
        {
            return SessionResult.Failed(ex.Message, ex);
        }
        finally
        {
            LeaveDeviceCall();
            watchdog?.Dispose();
            source?.Dispose();
        }
    }

    private void Publish(Mat image, string description, bool synthetic)
    {
        var now = timeProvider.GetTimestamp();
        var frame = new Frame(++_sequence, timeProvider.GetUtcNow(), image) { CaptureTimestamp = now, Synthetic = synthetic };
        if (!channel.Writer.TryWrite(frame))
        {
            // Only a completed channel refuses a write; drop-oldest makes room otherwise.
            frame.Dispose();
            return;
        }

        metrics.FrameCaptured();
        var fps = UpdateFrameRate(now);
        var wasConnected = _status.Connected;
        UpdateStatus(s => s with { Connected = true, Error = null, DisconnectedSince = null, DisconnectedTimestamp = null, FramesPerSecond = fps, FramesCaptured = s.FramesCaptured + 1 });
        metrics.SetCaptureFps(fps);
        if (!wasConnected)
        {
            _backoff.Reset();
            metrics.SetCameraConnected(true);
            logger.SourceConnected(description);
        }
    }

    private double UpdateFrameRate(long now)
    {
        if (_lastFrameTimestamp != 0)
        {
            var interval = timeProvider.GetElapsedTime(_lastFrameTimestamp, now).TotalSeconds;
            _meanFrameIntervalSeconds = _meanFrameIntervalSeconds == 0
                ? interval
                : _meanFrameIntervalSeconds + (FpsSmoothing * (interval - _meanFrameIntervalSeconds));
        }
        else
        {
            // A reopened source starts a new average; the gap while it was down is not a frame interval.
            _meanFrameIntervalSeconds = 0;
        }

        _lastFrameTimestamp = now;
        return _meanFrameIntervalSeconds > 0 ? 1 / _meanFrameIntervalSeconds : 0;
    }

    private void EnterDeviceCall() => Interlocked.Exchange(ref _deviceCallStarted, timeProvider.GetTimestamp());

    private void LeaveDeviceCall() => Interlocked.Exchange(ref _deviceCallStarted, 0);

    /// <summary>ReadTimeout, stretched for slow paced sources that legitimately wait longer between frames.</summary>
    private TimeSpan ReadTimeoutFor(IFrameSource source)
    {
        if (source.NominalFramesPerSecond <= 0)
        {
            return _options.ReadTimeout;
        }

        var threePeriods = TimeSpan.FromSeconds(3 / source.NominalFramesPerSecond);
        return threePeriods > _options.ReadTimeout ? threePeriods : _options.ReadTimeout;
    }

    private void OnReadTimedOut(string description, TimeSpan readTimeout)
    {
        _readTimedOut = true;
        // A driver can block far longer than ReadTimeout before it gives up; status and metrics show the outage meanwhile.
        MarkDisconnected($"no frame within {readTimeout.TotalSeconds:0.###} s");
        logger.ReadTimedOut(description, readTimeout);
    }

    private void MarkDisconnected(string error)
    {
        var (now, timestamp) = (timeProvider.GetUtcNow(), timeProvider.GetTimestamp());
        UpdateStatus(s => s with
        {
            Connected = false,
            Error = error,
            DisconnectedSince = s.DisconnectedSince ?? now,
            DisconnectedTimestamp = s.DisconnectedTimestamp ?? timestamp,
            FramesPerSecond = 0,
        });
        metrics.SetCameraConnected(false);
        metrics.SetCaptureFps(0);
    }

    private bool WaitBeforeReconnect(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            CaptureThreadDelay.Wait(delay, timeProvider, stoppingToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private CaptureStatus UpdateStatus(Func<CaptureStatus, CaptureStatus> change)
    {
        lock (_statusLock)
        {
            return _status = change(_status);
        }
    }

    private enum SessionEnd
    {
        Cancelled,
        Ended,
        Failed,
    }

    private sealed record SessionResult(SessionEnd End, string? Error = null, Exception? Exception = null)
    {
        public static SessionResult Failed(string error, Exception? exception = null) => new(SessionEnd.Failed, error, exception);
    }
}
