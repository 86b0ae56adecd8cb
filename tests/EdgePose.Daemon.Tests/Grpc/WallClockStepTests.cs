using EdgePose.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EdgePose.Daemon.Tests.Grpc;

/// <summary>An NTP step of the wall clock while serving: ages stay right, timestamps stay wall-clock.</summary>
public sealed class WallClockStepTests
{
    [Fact]
    public async Task A_backwards_step_neither_lets_a_stale_pose_through_max_age_nor_stalls_rate_limited_streams()
    {
        var camera = new PluggableCamera(pluggedIn: true);
        var clock = new SteppableWallClock();
        await using var daemon = await RunningDaemon.StartAsync(replaceServices: services =>
        {
            camera.Install(services);
            services.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock));
        });
        await daemon.WaitForFirstPoseAsync();
        using var stream = daemon.Poses.StreamPoses(new StreamPosesRequest { MaxRateHz = 5 });
        Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None));

        clock.Step(TimeSpan.FromHours(-1));

        // Rate limiting measures intervals on the monotonic clock, so results keep coming at about 5 Hz.
        using (var window = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.True(await stream.ResponseStream.MoveNext(window.Token));
            }
        }

        // Capture timestamps are the (stepped) wall clock the user sees.
        var afterStep = (await daemon.Poses.GetLatestPoseAsync(new GetLatestPoseRequest())).Result.CaptureTime.ToDateTimeOffset();
        Assert.True(afterStep < DateTimeOffset.UtcNow - TimeSpan.FromMinutes(59), $"capture time {afterStep:O} is not on the stepped wall clock");

        camera.PluggedIn = false;
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await daemon.Poses.GetLatestPoseAsync(new GetLatestPoseRequest { MaxAge = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) }));
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        var scrape = await daemon.Http.GetStringAsync("/metrics");
        var age = double.Parse(
            scrape.Split('\n').Single(l => l.StartsWith("edgepose_newest_result_age_seconds ", StringComparison.Ordinal)).Split(' ')[1],
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(age, 1.0, 60);
    }

    [Fact]
    public async Task A_backwards_step_while_the_camera_is_lost_neither_hides_the_outage_nor_inflates_it()
    {
        var camera = new PluggableCamera(pluggedIn: true);
        var clock = new SteppableWallClock();
        await using var daemon = await RunningDaemon.StartAsync(
            new Dictionary<string, string?>
            {
                ["EdgePose:Capture:ReconnectInitialDelay"] = "00:00:00.050",
                ["EdgePose:Capture:ReconnectMaxDelay"] = "00:00:00.200",
                ["EdgePose:Grpc:CameraLostNotServingAfter"] = "00:00:00.500",
                // Only the camera rule may turn readiness off here, not the age of the newest result.
                ["EdgePose:Operations:MaxResultAge"] = "00:10:00",
            },
            services =>
            {
                camera.Install(services);
                services.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock));
            });
        await daemon.WaitForFirstPoseAsync();

        camera.PluggedIn = false;
        await RunningDaemon.WaitUntilAsync(
            async () => !(await daemon.Poses.GetStatusAsync(new GetStatusRequest())).Capture.Connected, TimeSpan.FromSeconds(30), "the camera reported lost");
        // Wall-clock time since the loss is now an hour negative: on it, the outage would never reach the limit.
        clock.Step(TimeSpan.FromHours(-1));

        string body = "";
        await RunningDaemon.WaitUntilAsync(
            async () =>
            {
                using var response = await daemon.Http.GetAsync("/readyz");
                body = await response.Content.ReadAsStringAsync();
                return response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable;
            },
            TimeSpan.FromSeconds(30),
            "/readyz not ready");
        Assert.StartsWith("not ready: camera lost for", body, StringComparison.Ordinal);
        var seconds = double.Parse(body.Split(' ')[5], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 0.5, 30);
    }

    /// <summary>The system clocks, with a wall clock that can be stepped as NTP or an operator would; the monotonic clock runs on.</summary>
    private sealed class SteppableWallClock : TimeProvider
    {
        private long _offsetTicks;

        public void Step(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));
    }
}
