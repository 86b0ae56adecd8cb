using EdgePose.Runtime.Capture;
using Microsoft.Extensions.Time.Testing;

namespace EdgePose.Runtime.Tests.Capture;

/// <summary>Failure handling of the capture service on (fake) time: a missing V4L2 device, and scripted fake cameras.</summary>
public sealed class CameraCaptureTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task A_missing_camera_is_reported_and_retried_with_growing_backoff()
    {
        await using var host = CaptureHost.Create(
            new Dictionary<string, string?> { ["Source"] = "Camera", ["CameraDevice"] = "/dev/video99" }, _time);
        var started = _time.GetUtcNow();
        await host.StartAsync();

        await Poll.UntilAsync(() => host.Monitor.Status.Error is not null, "the open failure");
        var status = host.Monitor.Status;
        Assert.False(status.Connected);
        Assert.Contains("/dev/video99", status.Error, StringComparison.Ordinal);
        Assert.Equal(started, status.DisconnectedSince);
        Assert.Equal(0, status.Reconnects);

        var reconnectTimes = new List<TimeSpan>();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            await Poll.AdvanceUntilAsync(_time, () => host.Monitor.Status.Reconnects >= attempt, $"reconnect {attempt}");
            reconnectTimes.Add(_time.GetUtcNow() - started);
        }

        // Nominal delays 0.5, 1 and 2 s, each ±20 % jitter.
        var intervals = reconnectTimes.Zip([TimeSpan.Zero, .. reconnectTimes], (t, previous) => (t - previous).TotalSeconds).ToArray();
        Assert.InRange(intervals[0], 0.4, 0.8);
        Assert.InRange(intervals[1], 0.8, 1.6);
        Assert.InRange(intervals[2], 1.6, 3.2);
        Assert.Equal(3, host.Metric("edgepose_camera_reconnects_total"));
        Assert.Equal(0, host.Metric("edgepose_camera_connected"));
        Assert.False(host.Monitor.Status.Connected);
        Assert.Equal(started, host.Monitor.Status.DisconnectedSince);
    }

    [Fact]
    public async Task A_camera_that_fails_and_comes_back_is_connected_again_with_the_backoff_reset()
    {
        FakeCamera[] cameras =
        [
            new(frames: 3, afterFrames: ReadOutcome.Failed),
            new(frames: 0, afterFrames: null, openFails: true),
            new(frames: 2, afterFrames: ReadOutcome.Failed),
            new(frames: 2, afterFrames: null),
        ];
        var factory = new FakeCameraFactory(_time, cameras);
        await using var host = CaptureHost.Create(new Dictionary<string, string?> { ["ChannelCapacity"] = "16" }, _time, factory);
        await host.StartAsync();

        await Poll.AdvanceUntilAsync(_time, () => host.Monitor.Status is { Connected: true, FramesCaptured: 7 }, "the last camera's frames");

        var status = host.Monitor.Status;
        Assert.Null(status.Error);
        Assert.Null(status.DisconnectedSince);
        Assert.Equal(3, status.Reconnects);
        Assert.Equal(3, host.Metric("edgepose_camera_reconnects_total"));
        Assert.Equal(3, host.Metric("edgepose_errors_total{stage=\"capture\"}"));
        Assert.Equal(1, host.Metric("edgepose_camera_connected"));
        Assert.All(cameras.Take(3), c => Assert.True(c.Disposed));

        // After frames, the next failure waits the initial delay again (0.5 s ±20 %); after a failed open it doubled (1 s ±20 %).
        var opens = factory.CreatedAt;
        Assert.InRange((opens[1] - opens[0]).TotalSeconds, 0.4, 0.8);
        Assert.InRange((opens[2] - opens[1]).TotalSeconds, 0.8, 1.6);
        Assert.InRange((opens[3] - opens[2]).TotalSeconds, 0.4, 0.8);

        var sequences = new List<long>();
        while (host.Channel.Reader.TryRead(out var frame))
        {
            using (frame)
            {
                sequences.Add(frame.Sequence);
            }
        }

        Assert.Equal([1L, 2, 3, 4, 5, 6, 7], sequences);
    }

    [Fact]
    public async Task A_camera_that_stops_delivering_is_reported_after_the_read_timeout()
    {
        var camera = new FakeCamera(frames: 1, afterFrames: null);
        await using var host = CaptureHost.Create(new Dictionary<string, string?>(), _time, new FakeCameraFactory(_time, camera));
        await host.StartAsync();
        Assert.True(camera.Stalled.Wait(TimeSpan.FromSeconds(5)), "the camera never stalled");
        Assert.True(host.Monitor.Status.Connected);

        _time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.True(host.Monitor.Status.Connected);
        _time.Advance(TimeSpan.FromSeconds(0.2));

        var status = host.Monitor.Status;
        Assert.False(status.Connected);
        Assert.Equal("no frame within 2 s", status.Error);
        Assert.Equal(0, host.Metric("edgepose_camera_connected"));

        await host.Host.StopAsync();
        Assert.True(camera.Disposed);
    }
}
