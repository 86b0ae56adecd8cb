using System.Globalization;
using System.Text.RegularExpressions;
using EdgePose.V1;

namespace EdgePose.Daemon.Tests.Metrics;

public sealed partial class MetricsEndpointTests
{
    [Fact]
    public async Task Scrape_exposes_every_edgepose_metric_and_they_move()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        await daemon.WaitForFirstPoseAsync();
        await daemon.Poses.GetStatusAsync(new GetStatusRequest());

        var first = await daemon.Http.GetStringAsync("/metrics");
        await Task.Delay(500);
        var second = await daemon.Http.GetStringAsync("/metrics");

        foreach (var name in new[]
                 {
                     "edgepose_stage_duration_seconds_bucket", "edgepose_end_to_end_latency_seconds_bucket",
                     "edgepose_frames_captured_total", "edgepose_frames_dropped_total", "edgepose_results_published_total",
                     "edgepose_fallbacks_total", "edgepose_latency_budget_overruns_total", "edgepose_camera_reconnects_total",
                     "edgepose_newest_result_age_seconds", "edgepose_camera_connected", "edgepose_model_loaded",
                     "edgepose_capture_frames_per_second", "edgepose_build_info", "edgepose_grpc_requests_total",
                     "edgepose_pose_confidence_ratio_bucket", "edgepose_pose_reprojection_error_pixels_bucket",
                 })
        {
            Assert.Contains(name, second);
        }

        Assert.True(Value(second, "edgepose_frames_captured_total") > Value(first, "edgepose_frames_captured_total"));
        Assert.True(Value(second, "edgepose_end_to_end_latency_seconds_count") > Value(first, "edgepose_end_to_end_latency_seconds_count"));
        Assert.Equal(1, Value(second, "edgepose_camera_connected"));
        Assert.Matches("edgepose_grpc_requests_total\\{method=\"GetStatus\",code=\"OK\"\\} [1-9]", second);
        Assert.Contains("le=\"0.1\"", second);

        // Pose metrics are per object, and the workcell's objects are their only object_id values.
        Assert.Matches("edgepose_results_published_total\\{source=\"none\",object_id=\"box\"\\} ", second);
        Assert.Equal(["box"], ObjectIdPattern().Matches(second).Select(m => m.Groups[1].Value).Distinct());
        Assert.InRange(Value(second, "edgepose_newest_result_age_seconds"), 0, 2);
    }

    [Fact]
    public async Task Metrics_listener_is_separate_from_grpc()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{daemon.MetricsPort}") };
        var notFound = await http.GetAsync("/edgepose.v1.PoseService/GetStatus");
        Assert.False(notFound.IsSuccessStatusCode);
    }

    [Fact]
    public async Task Listeners_are_told_apart_by_port_not_by_the_Host_header_the_client_sets()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        using var http = new HttpClient();

        // HTTP/2 with prior knowledge to the gRPC port, claiming to be addressed to the metrics port.
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{daemon.GrpcPort}/metrics")
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        spoofed.Headers.Host = $"x:{daemon.MetricsPort}";
        using var throughGrpc = await http.SendAsync(spoofed);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, throughGrpc.StatusCode);
        Assert.DoesNotContain("edgepose_", await throughGrpc.Content.ReadAsStringAsync());

        // The metrics port serves whatever Host a proxy in front of it puts in the request.
        using var proxied = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{daemon.MetricsPort}/metrics");
        proxied.Headers.Host = $"prometheus.example:{daemon.GrpcPort}";
        using var scrape = await http.SendAsync(proxied);
        Assert.True(scrape.IsSuccessStatusCode);
        Assert.Contains("edgepose_build_info", await scrape.Content.ReadAsStringAsync());

        // gRPC keeps answering on its own port.
        Assert.False(string.IsNullOrEmpty((await daemon.Poses.GetStatusAsync(new GetStatusRequest())).Version));
    }

    [GeneratedRegex("object_id=\"([^\"]*)\"")]
    private static partial Regex ObjectIdPattern();

    private static double Value(string exposition, string series)
    {
        var match = Regex.Match(exposition, $"^{Regex.Escape(series)}(\\{{[^}}]*\\}})? (\\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"{series} is not in the scrape");
        return double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
    }
}
