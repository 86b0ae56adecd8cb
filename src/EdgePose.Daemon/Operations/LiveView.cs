using System.Globalization;
using System.Text;
using EdgePose.Runtime.Capture;
using EdgePose.Runtime.Inference;
using EdgePose.Runtime.Objects;
using EdgePose.Runtime.Pipeline;
using EdgePose.Runtime.Poses;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using OpenCvSharp;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace EdgePose.Daemon.Operations;

/// <summary>
/// The live view's image and status. Drawing and JPEG encoding run on the request's thread on a private copy of the frame;
/// the live loop only copies a frame into <see cref="LiveFrameTap"/> when a stream asks for one (at most the frame-rate cap).
/// </summary>
internal sealed partial class LiveView(
    LiveFrameTap tap,
    IPoseResultStore store,
    ICaptureMonitor capture,
    IModelHost modelHost,
    Workcell workcell,
    Readiness readiness,
    RecentFailures failures,
    IOptions<OperationsOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider timeProvider,
    ILogger<LiveView> logger)
{
    private const string Boundary = "edgepose-frame";

    /// <summary>How long a stream waits for a new frame before it re-sends the newest one with the current status.</summary>
    private static readonly TimeSpan StaleFrameWait = TimeSpan.FromSeconds(1);

    private readonly OperationsOptions _options = options.Value;
    private int _viewers;

    public async Task StreamAsync(HttpContext context)
    {
        if (Interlocked.Increment(ref _viewers) > _options.LiveViewMaxViewers)
        {
            Interlocked.Decrement(ref _viewers);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync($"the live view already has {_options.LiveViewMaxViewers} viewers (Operations:LiveViewMaxViewers)\n");
            return;
        }

        LogViewerConnected(logger, context.Connection.RemoteIpAddress);
        try
        {
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            context.Response.ContentType = $"multipart/x-mixed-replace; boundary={Boundary}";
            context.Response.Headers.CacheControl = "no-store";
            var interval = TimeSpan.FromSeconds(1 / _options.LiveViewMaxFramesPerSecond);
            // A stream never ends by itself: it ends when stopping starts, so Kestrel's drain does not wait on it.
            using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
            var cancellation = ended.Token;
            while (!cancellation.IsCancellationRequested)
            {
                var started = timeProvider.GetTimestamp();
                // Newer than what the slot holds now: the slot keeps the last frame any viewer asked for, however old.
                var held = tap.LatestSequence;
                tap.Request();
                await tap.WaitForNewerAsync(held, StaleFrameWait, timeProvider, cancellation);
                var jpeg = RenderJpeg();
                var header = Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Type: image/jpeg\r\nContent-Length: {jpeg.Length}\r\n\r\n");
                await context.Response.Body.WriteAsync(header, cancellation);
                await context.Response.Body.WriteAsync(jpeg, cancellation);
                await context.Response.Body.WriteAsync("\r\n"u8.ToArray(), cancellation);
                await context.Response.Body.FlushAsync(cancellation);
                var rest = interval - timeProvider.GetElapsedTime(started);
                if (rest > TimeSpan.Zero)
                {
                    await Task.Delay(rest, timeProvider, cancellation);
                }
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || lifetime.ApplicationStopping.IsCancellationRequested)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _viewers);
            LogViewerDisconnected(logger);
        }
    }

    /// <summary>The newest frame, annotated, as JPEG; before the first frame a blank one carrying the status.</summary>
    public byte[] RenderJpeg()
    {
        using var image = tap.CopyLatest(out var result) ?? new Mat(workcell.Camera.Height, workcell.Camera.Width, MatType.CV_8UC3, Scalar.Black);
        var line = result is null ? 0 : PoseOverlay.DrawPoses(image, workcell.Camera, workcell, result.Poses);
        var report = readiness.Evaluate();
        var statusColor = report.Ready ? Scalar.Lime : Scalar.Red;
        if (result is not null)
        {
            var timings = result.Timings;
            PoseOverlay.DrawLabel(
                image,
                string.Create(CultureInfo.InvariantCulture, $"frame {result.FrameSequence}  end-to-end {timings.EndToEnd.TotalMilliseconds:0} ms  inference {timings.Inference.TotalMilliseconds:0} ms  age {result.AgeAt(timeProvider).TotalMilliseconds:0} ms"),
                line++,
                Scalar.White);
        }

        PoseOverlay.DrawLabel(image, report.Reason, line, statusColor);
        Cv2.ImEncode(".jpg", image, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, _options.LiveViewJpegQuality));
        return jpeg;
    }

    /// <summary>What the page shows beside the image; read once a second by its script.</summary>
    public object Status()
    {
        var snapshot = store.Current;
        var report = readiness.Evaluate();
        var camera = capture.Status;
        return new
        {
            ready = report.Ready,
            reason = report.Reason,
            state = snapshot.State.ToString(),
            pipelineReason = snapshot.Reason,
            framesProcessed = snapshot.FramesProcessed,
            camera = new { camera.Connected, camera.Description, camera.Error, camera.FramesPerSecond, camera.Reconnects },
            model = new { state = modelHost.State.ToString(), lastError = modelHost.LastError },
            latest = snapshot.Latest is { } latest
                ? new
                {
                    frame = latest.FrameSequence,
                    ageMs = latest.AgeAt(timeProvider).TotalMilliseconds,
                    endToEndMs = latest.Timings.EndToEnd.TotalMilliseconds,
                    poses = latest.Poses.Select(p => new
                    {
                        objectId = p.ObjectId,
                        source = p.Source.ToString(),
                        found = p.Found,
                        confidence = p.Estimate?.Confidence,
                        fallbackReason = p.FallbackReason.ToString(),
                    }),
                }
                : null,
            failuresTotal = failures.Total,
            failures = failures.Latest().Select(f => new
            {
                frame = f.FrameSequence,
                ageS = timeProvider.GetElapsedTime(f.CaptureTimestamp).TotalSeconds,
                objectId = f.ObjectId,
                source = f.Source.ToString(),
                reason = f.Reason.ToString(),
                found = f.Found,
            }),
        };
    }

    [LoggerMessage(EventId = 1700, Level = LogLevel.Information, Message = "Live view: viewer connected from {Remote}")]
    private static partial void LogViewerConnected(ILogger logger, System.Net.IPAddress? remote);

    [LoggerMessage(EventId = 1701, Level = LogLevel.Information, Message = "Live view: viewer disconnected")]
    private static partial void LogViewerDisconnected(ILogger logger);
}
