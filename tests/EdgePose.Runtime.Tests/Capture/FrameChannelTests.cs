using EdgePose.Runtime.Capture;
using EdgePose.Runtime.Metrics;
using OpenCvSharp;

namespace EdgePose.Runtime.Tests.Capture;

public sealed class FrameChannelTests
{
    [Fact]
    public void A_reader_that_falls_behind_gets_only_the_newest_frames_and_the_dropped_ones_are_freed_and_counted()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var channel = new FrameChannel(capacity: 2, new PoseMetrics(registry));
        var frames = Enumerable.Range(1, 5).Select(i => new Frame(i, DateTimeOffset.UnixEpoch.AddSeconds(i), new Mat(4, 4, MatType.CV_8UC3))).ToList();

        foreach (var frame in frames)
        {
            Assert.True(channel.Writer.TryWrite(frame));
        }

        Assert.All(frames.Take(3), f => Assert.True(f.Image.IsDisposed));
        Assert.Equal(3, MetricValues.Read(registry, "edgepose_frames_dropped_total"));
        Assert.True(channel.Reader.TryRead(out var first));
        Assert.True(channel.Reader.TryRead(out var second));
        Assert.False(channel.Reader.TryRead(out _));
        using (first)
        using (second)
        {
            Assert.Equal([4L, 5L], [first.Sequence, second.Sequence]);
            Assert.False(first.Image.IsDisposed);
        }
    }

    [Fact]
    public async Task Complete_ends_the_stream_and_frees_unread_frames()
    {
        var channel = new FrameChannel(capacity: 4, new PoseMetrics(Prometheus.Metrics.NewCustomRegistry()));
        var frame = new Frame(1, DateTimeOffset.UnixEpoch, new Mat(4, 4, MatType.CV_8UC3));
        channel.Writer.TryWrite(frame);

        channel.Complete();

        Assert.True(frame.Image.IsDisposed);
        await channel.Reader.Completion.WaitAsync(TimeSpan.FromSeconds(1));
        Assert.False(channel.Writer.TryWrite(frame));
    }
}
