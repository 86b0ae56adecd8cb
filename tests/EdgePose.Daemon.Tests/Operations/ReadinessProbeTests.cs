using System.Net;
using Grpc.Health.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace EdgePose.Daemon.Tests.Operations;

public sealed class ReadinessProbeTests
{
    [Fact]
    public async Task Readyz_agrees_with_grpc_health_while_the_camera_comes_and_goes_and_healthz_stays_up()
    {
        var camera = new PluggableCamera(pluggedIn: true);
        await using var daemon = await RunningDaemon.StartWithCameraAsync(
            camera,
            new Dictionary<string, string?> { ["EdgePose:Grpc:CameraLostNotServingAfter"] = "00:00:00.300", ["EdgePose:Pipeline:FallbackPolicy"] = "baseline-only" });

        var ready = await WaitForAgreementAsync(daemon, ServingStatus.Serving);
        Assert.Equal("ready\n", ready);
        camera.PluggedIn = false;
        var notReady = await WaitForAgreementAsync(daemon, ServingStatus.NotServing);
        Assert.StartsWith("not ready: camera lost for", notReady, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await daemon.Http.GetAsync("/healthz")).StatusCode);
        camera.PluggedIn = true;
        await WaitForAgreementAsync(daemon, ServingStatus.Serving);
    }

    [Fact]
    public async Task Readyz_turns_not_ready_with_grpc_health_when_results_go_stale()
    {
        // The camera still counts as connected (no read failed yet), but no frame has come for longer than MaxResultAge:
        // a stalled source or loop, which only the age of the newest result shows.
        var camera = new PluggableCamera(pluggedIn: true);
        await using var daemon = await RunningDaemon.StartWithCameraAsync(
            camera,
            new Dictionary<string, string?>
            {
                ["EdgePose:Operations:MaxResultAge"] = "00:00:01.500",
                ["EdgePose:Grpc:CameraLostNotServingAfter"] = "00:10:00",
                ["EdgePose:Pipeline:FallbackPolicy"] = "baseline-only",
            });

        await WaitForAgreementAsync(daemon, ServingStatus.Serving);
        camera.PluggedIn = false;
        var stale = await WaitForAgreementAsync(daemon, ServingStatus.NotServing);
        Assert.Contains("newest result is", stale, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probes_are_served_on_the_operations_listener_only()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        using var grpcPort = new HttpClient
        {
            BaseAddress = new Uri($"http://127.0.0.1:{daemon.GrpcPort}"),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        Assert.Equal(HttpStatusCode.NotFound, (await grpcPort.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await grpcPort.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await daemon.Http.GetAsync("/healthz")).StatusCode);
    }

    /// <summary>
    /// Waits for gRPC health to report <paramref name="expected"/>, then asks /readyz at once: it must say the same (both read
    /// one rule; health refreshes every 200 ms, and every state checked here lasts longer). Returns /readyz's body.
    /// </summary>
    private static async Task<string> WaitForAgreementAsync(RunningDaemon daemon, ServingStatus expected)
    {
        await RunningDaemon.WaitUntilAsync(
            async () => (await daemon.Health.CheckAsync(new HealthCheckRequest { Service = "edgepose.v1.PoseService" })).Status == expected,
            TimeSpan.FromSeconds(30),
            $"gRPC health {expected}");
        using var response = await daemon.Http.GetAsync("/readyz");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(
            response.StatusCode == (expected == ServingStatus.Serving ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable),
            $"gRPC health says {expected} but /readyz answered {(int)response.StatusCode}: {body}");
        return body;
    }
}
