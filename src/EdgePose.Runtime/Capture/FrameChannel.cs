using System.Threading.Channels;
using EdgePose.Runtime.Metrics;

namespace EdgePose.Runtime.Capture;

/// <summary>
/// Hands frames from the capture service to the pipeline. Bounded and drop-oldest: a slow pipeline always gets the newest
/// frame instead of a growing backlog, and every dropped frame's Mat is freed and counted.
/// </summary>
public sealed class FrameChannel
{
    private readonly Channel<Frame> _channel;

    public FrameChannel(int capacity, PoseMetrics metrics)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _channel = Channel.CreateBounded<Frame>(
            new BoundedChannelOptions(capacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleWriter = true,
                // Complete() drains leftovers, possibly while the pipeline is still reading, so two readers can overlap.
                SingleReader = false,
            },
            dropped =>
            {
                dropped.Dispose();
                metrics.FrameDropped();
            });
    }

    /// <summary>The pipeline's end; frames read from it are the reader's to dispose.</summary>
    public ChannelReader<Frame> Reader => _channel.Reader;

    /// <summary>The capture service's end.</summary>
    public ChannelWriter<Frame> Writer => _channel.Writer;

    /// <summary>Ends the stream and frees frames that nobody will read any more.</summary>
    public void Complete()
    {
        _channel.Writer.TryComplete();
        while (_channel.Reader.TryRead(out var frame))
        {
            frame.Dispose();
        }
    }
}
