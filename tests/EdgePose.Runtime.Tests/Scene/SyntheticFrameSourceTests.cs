using EdgePose.Runtime.Capture;
using EdgePose.Core.Objects;
using EdgePose.Simulation.Scene;
using Microsoft.Extensions.Time.Testing;
using OpenCvSharp;

namespace EdgePose.Runtime.Tests.Scene;

public sealed class SyntheticFrameSourceTests
{
    [Fact]
    public async Task Frames_are_the_rendered_sequence_paced_by_the_clock()
    {
        var clock = new FakeTimeProvider();
        var options = new SyntheticSceneOptions { FramesPerSecond = 10 };
        using var source = new SyntheticFrameSource(options, Workcell.Default, clock);
        using var renderer = new SyntheticSceneRenderer(options, Workcell.Default.Camera, Workcell.Default.Objects);
        Assert.Equal("synthetic 640x480@10 seed 1", source.Description);
        Assert.Equal(10, source.NominalFramesPerSecond);
        source.Open();
        using var image = new Mat();

        // Frame 0 is due at Open; frame 1 only after a tenth of a second of the fake clock.
        Assert.Equal(ReadOutcome.Frame, source.Read(image, CancellationToken.None));
        AssertSameImage(renderer, 0, image);

        var second = Task.Run(() => source.Read(image, CancellationToken.None));
        Assert.False(await CompletesWithin(second, 300));
        clock.Advance(TimeSpan.FromMilliseconds(60));
        Assert.False(await CompletesWithin(second, 200));
        clock.Advance(TimeSpan.FromMilliseconds(40));
        Assert.True(await CompletesWithin(second, 10_000));
        Assert.Equal(ReadOutcome.Frame, await second);
        AssertSameImage(renderer, 1, image);
    }

    [Fact]
    public async Task A_late_reader_does_not_get_a_burst_and_the_schedule_does_not_drift()
    {
        var clock = new FakeTimeProvider();
        using var source = new SyntheticFrameSource(new SyntheticSceneOptions { FramesPerSecond = 4 }, Workcell.Default, clock);
        source.Open();
        using var image = new Mat();
        source.Read(image, CancellationToken.None);

        // 0.26 s late for frame 1 (due at 0.25 s): delivered at once, frame 2 still due at 0.5 s sharp.
        clock.Advance(TimeSpan.FromMilliseconds(260));
        Assert.True(await CompletesWithin(Task.Run(() => source.Read(image, CancellationToken.None)), 10_000));
        var third = Task.Run(() => source.Read(image, CancellationToken.None));
        Assert.False(await CompletesWithin(third, 300));
        clock.Advance(TimeSpan.FromMilliseconds(240));
        Assert.True(await CompletesWithin(third, 10_000));
    }

    [Fact]
    public async Task Cancellation_ends_the_wait()
    {
        var clock = new FakeTimeProvider();
        using var source = new SyntheticFrameSource(new SyntheticSceneOptions(), Workcell.Default, clock);
        source.Open();
        using var image = new Mat();
        source.Read(image, CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var read = Task.Run(() => source.Read(image, cts.Token));
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
    }

    private static void AssertSameImage(SyntheticSceneRenderer renderer, long index, Mat image)
    {
        using var expected = renderer.Render(index);
        Assert.Equal(expected.Image.Size(), image.Size());
        Assert.Equal(0, Cv2.Norm(expected.Image, image, NormTypes.L1));
    }

    private static async Task<bool> CompletesWithin(Task task, int milliseconds) =>
        await Task.WhenAny(task, Task.Delay(milliseconds)) == task;
}
