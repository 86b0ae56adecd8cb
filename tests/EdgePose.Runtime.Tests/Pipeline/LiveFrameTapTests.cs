using System.Collections.Immutable;
using EdgePose.Runtime.Pipeline;
using EdgePose.Runtime.Poses;
using OpenCvSharp;

namespace EdgePose.Runtime.Tests.Pipeline;

public sealed class LiveFrameTapTests
{
    [Fact]
    public void The_loop_copies_a_frame_only_when_a_viewer_asked_and_once_per_request()
    {
        var tap = new LiveFrameTap();
        using var image = new Mat(4, 4, MatType.CV_8UC3, new Scalar(1, 2, 3));
        tap.Offer(image, Result(1));
        Assert.Equal(-1, tap.LatestSequence);
        Assert.Null(tap.CopyLatest(out _));

        tap.Request();
        tap.Offer(image, Result(2));
        image.SetTo(new Scalar(9, 9, 9));
        tap.Offer(image, Result(3));
        Assert.Equal(2, tap.LatestSequence);

        // The viewer's copy is its own: the loop's later writes to its frame do not reach it.
        using var copy = tap.CopyLatest(out var result)!;
        Assert.Equal(2, result!.FrameSequence);
        Assert.Equal(new Vec3b(1, 2, 3), copy.At<Vec3b>(0, 0));
    }

    [Fact]
    public async Task A_waiting_viewer_wakes_on_the_next_frame_or_after_its_timeout()
    {
        var tap = new LiveFrameTap();
        using var image = new Mat(4, 4, MatType.CV_8UC3, Scalar.Black);
        tap.Request();
        var waiting = tap.WaitForNewerAsync(-1, TimeSpan.FromSeconds(30), TimeProvider.System, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        tap.Offer(image, Result(7));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        var started = DateTime.UtcNow;
        await tap.WaitForNewerAsync(7, TimeSpan.FromMilliseconds(100), TimeProvider.System, CancellationToken.None);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(90));
    }

    private static PoseResult Result(long sequence) => new(
        sequence, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
        new StageTimings(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero), ImmutableArray<ObjectPose>.Empty);
}
