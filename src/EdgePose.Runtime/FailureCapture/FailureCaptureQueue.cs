using System.Threading.Channels;
using EdgePose.Core.Poses;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace EdgePose.Runtime.FailureCapture;

/// <summary>A frame the model failed on, copied out of the live loop; owns the Mat.</summary>
internal sealed class CapturedFrame(Mat image, PoseResult result) : IDisposable
{
    public Mat Image { get; } = image;

    public PoseResult Result { get; } = result;

    public void Dispose() => Image.Dispose();
}

/// <summary>
/// The live loop's side of failure capture: picks the frames the model failed on, at most one per
/// <see cref="FailureCaptureOptions.MinInterval"/>, and copies them into a ring buffer of the most recent ones for the writer.
/// The loop never waits: the buffer is a bounded drop-oldest channel, and an evicted frame is disposed and counted.
/// With capture off, an offer costs one field read.
/// </summary>
internal sealed class FailureCaptureQueue : IDisposable
{
    private readonly Channel<CapturedFrame>? _channel;
    private readonly FailureCaptureMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly TimeSpan _minInterval;
    private long? _lastAccepted;
    private volatile bool _diskFull;

    public FailureCaptureQueue(IOptions<FailureCaptureOptions> options, FailureCaptureMetrics metrics, TimeProvider time)
    {
        var settings = options.Value;
        _metrics = metrics;
        _time = time;
        _minInterval = settings.MinInterval;
        if (settings.Enabled)
        {
            _channel = Channel.CreateBounded<CapturedFrame>(
                new BoundedChannelOptions(settings.BufferFrames) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true, SingleReader = false },
                evicted =>
                {
                    evicted.Dispose();
                    metrics.Dropped(FailureCaptureMetrics.BufferFull);
                });
        }
    }

    public bool Enabled => _channel is not null;

    /// <summary>The writer's end; frames read from it are the reader's to dispose.</summary>
    public ChannelReader<CapturedFrame> Reader => _channel?.Reader ?? throw new InvalidOperationException("Failure capture is off.");

    /// <summary>True when the model failed on some object: the baseline answered in its place, or nothing was found.</summary>
    public static bool IsFailure(PoseResult result) =>
        result.Poses.Any(p => !p.Found || p.FallbackReason is not (FallbackReason.None or FallbackReason.PolicyBaselineOnly or FallbackReason.PolicyMarkerVisible));

    /// <summary>Loop side, called for every published result; copies <paramref name="image"/> only when the frame is kept.</summary>
    public void Offer(Mat image, PoseResult result)
    {
        if (_channel is null || !IsFailure(result))
        {
            return;
        }

        if (_diskFull)
        {
            _metrics.Dropped(FailureCaptureMetrics.DiskFull);
            return;
        }

        var now = _time.GetTimestamp();
        if (_lastAccepted is { } last && _time.GetElapsedTime(last, now) < _minInterval)
        {
            _metrics.Dropped(FailureCaptureMetrics.RateLimited);
            return;
        }

        _lastAccepted = now;
        var frame = new CapturedFrame(image.Clone(), result);
        if (!_channel.Writer.TryWrite(frame))
        {
            // Only after Dispose (the host is stopping).
            frame.Dispose();
        }
    }

    /// <summary>Writer side: the cap is reached, so the loop stops copying frames.</summary>
    public void MarkDiskFull() => _diskFull = true;

    /// <summary>Ends the buffer and frees the frames that nobody will write any more.</summary>
    public void Dispose()
    {
        if (_channel is null)
        {
            return;
        }

        _channel.Writer.TryComplete();
        while (_channel.Reader.TryRead(out var frame))
        {
            frame.Dispose();
        }
    }
}
