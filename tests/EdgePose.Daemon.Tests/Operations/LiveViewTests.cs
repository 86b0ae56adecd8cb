using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using EdgePose.Daemon.Tests.Deploy;
using EdgePose.Runtime.Pipeline;
using EdgePose.V1;
using Microsoft.Extensions.DependencyInjection;
using OpenCvSharp;

namespace EdgePose.Daemon.Tests.Operations;

[Collection(LiveViewTests.Collection)]
public sealed partial class LiveViewTests
{
    public const string Collection = "Live view (headless browser)";

    /// <summary>A clean scene (no clutter, occlusion or blur) and the marker baseline, so the box is found in nearly every frame.</summary>
    private static readonly Dictionary<string, string?> CleanScene = new()
    {
        ["EdgePose:Pipeline:FallbackPolicy"] = "baseline-only",
        ["EdgePose:Capture:Synthetic:ClutterShapes"] = "0",
        ["EdgePose:Capture:Synthetic:OcclusionProbability"] = "0",
        ["EdgePose:Capture:Synthetic:BlurProbability"] = "0",
        ["EdgePose:Operations:LiveViewJpegQuality"] = "95",
    };

    [FactRequiring("chromium", "chromium")]
    public async Task Chromium_loads_the_page_its_image_updates_and_the_screenshot_shows_the_box_with_its_axes()
    {
        await using var daemon = await RunningDaemon.StartAsync(CleanScene);
        await WaitForFoundPoseAsync(daemon);

        var (first, second) = await ReadTwoFramesAsync(daemon);
        Assert.False(first.AsSpan().SequenceEqual(second), "two frames of the MJPEG stream are identical: the image does not update");
        using (var decoded = Cv2.ImDecode(second, ImreadModes.Color))
        {
            Assert.Equal(new Size(640, 480), decoded.Size());
        }

        var profile = DeployTestKit.NewTempDirectory();
        try
        {
            var url = $"http://127.0.0.1:{daemon.MetricsPort}/live";
            string[] chromium = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1100,520", $"--user-data-dir={profile}"];

            // Virtual time runs the page's script for 4 s: its status counter must have advanced past the first update.
            var dom = await DeployTestKit.RunAsync("chromium", [.. chromium, "--virtual-time-budget=4000", "--dump-dom", url]);
            Assert.True(dom.ExitCode == 0, dom.Stderr);
            Assert.Contains("READY: ready", dom.Stdout, StringComparison.Ordinal);
            var updates = UpdatesCounter().Match(dom.Stdout);
            Assert.True(updates.Success && int.Parse(updates.Groups[1].Value) >= 2, $"the page's status counter did not advance: {updates.Value}");

            // The box is found in nearly every frame, not all: a screenshot may catch one without it, so up to three tries.
            var colours = new AxisColourCount(0, 0, 0, 0);
            for (var attempt = 0; attempt < 3 && !colours.AllPresent; attempt++)
            {
                await WaitForFoundPoseAsync(daemon);
                var shot = Path.Combine(profile, $"live-{attempt}.png");
                var run = await DeployTestKit.RunAsync("chromium", [.. chromium, $"--screenshot={shot}", url]);
                Assert.True(run.ExitCode == 0 && File.Exists(shot), run.Stderr);
                using var screenshot = Cv2.ImRead(shot, ImreadModes.Color);
                using var image = screenshot[new Rect(0, 0, 640, 480)];
                colours = AxisColourCount.In(image);
            }

            Assert.True(colours.AllPresent, $"the screenshot's image lacks an axis colour: {colours}");

            // The axes come from the overlay, not the scene: a raw frame of the same scene has no such pattern.
            using var raw = daemon.App.Services.GetRequiredService<LiveFrameTap>().CopyLatest(out _)!;
            var inScene = AxisColourCount.In(raw);
            Assert.True(inScene.Origin == 0, $"raw frame: {inScene}");
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }

    [Fact]
    public async Task Stream_keeps_to_the_frame_rate_cap_and_turns_away_viewers_over_the_limit()
    {
        var settings = new Dictionary<string, string?>(CleanScene)
        {
            ["EdgePose:Operations:LiveViewMaxFramesPerSecond"] = "4",
            ["EdgePose:Operations:LiveViewMaxViewers"] = "1",
        };
        await using var daemon = await RunningDaemon.StartAsync(settings);
        await daemon.WaitForFirstPoseAsync();

        using var stream = await daemon.Http.GetStreamAsync("/live/stream.mjpg");
        await ReadPartAsync(stream);
        var started = DateTime.UtcNow;
        for (var part = 0; part < 8; part++)
        {
            await ReadPartAsync(stream);
        }

        // 8 frames at 4 fps take at least 2 s, however fast the camera (30 fps) delivers (a loaded machine takes longer).
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1.9), $"8 frames came in {DateTime.UtcNow - started}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await daemon.Http.GetAsync("/live/stream.mjpg", HttpCompletionOption.ResponseHeadersRead)).StatusCode);
    }

    [Fact]
    public async Task Stopping_the_host_ends_an_open_stream_at_once()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        await daemon.WaitForFirstPoseAsync();
        using var stream = await daemon.Http.GetStreamAsync("/live/stream.mjpg");
        await ReadPartAsync(stream);

        var started = DateTime.UtcNow;
        await daemon.App.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
        // The host's shutdown timeout is 5 s: a stream that held the drain open would use all of it.
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(4), $"stopping took {DateTime.UtcNow - started}");
    }

    [Fact]
    public async Task Live_view_is_off_on_a_non_loopback_listener_unless_turned_on()
    {
        var port = RunningDaemon.FreePort();
        await using var daemon = await RunningDaemon.StartAsync(new Dictionary<string, string?> { ["EdgePose:Metrics:Address"] = $"0.0.0.0:{port}" });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
    }

    private static async Task WaitForFoundPoseAsync(RunningDaemon daemon) => await RunningDaemon.WaitUntilAsync(
        async () =>
        {
            try
            {
                var latest = await daemon.Poses.GetLatestPoseAsync(new GetLatestPoseRequest());
                return latest.Result.Poses.Any(p => p.Found);
            }
            catch (global::Grpc.Core.RpcException ex) when (ex.StatusCode == global::Grpc.Core.StatusCode.Unavailable)
            {
                return false;
            }
        },
        TimeSpan.FromSeconds(30),
        "a found pose");

    private static async Task<(byte[] First, byte[] Second)> ReadTwoFramesAsync(RunningDaemon daemon)
    {
        using var stream = await daemon.Http.GetStreamAsync("/live/stream.mjpg");
        return (await ReadPartAsync(stream), await ReadPartAsync(stream));
    }

    /// <summary>One part of the multipart/x-mixed-replace stream: boundary and headers up to the blank line, then Content-Length bytes.</summary>
    private static async Task<byte[]> ReadPartAsync(Stream stream)
    {
        var headers = new StringBuilder();
        while (!headers.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            var b = stream.ReadByte();
            Assert.NotEqual(-1, b);
            headers.Append((char)b);
        }

        var length = int.Parse(ContentLength().Match(headers.ToString()).Groups[1].Value);
        var jpeg = new byte[length];
        await stream.ReadExactlyAsync(jpeg);
        await stream.ReadExactlyAsync(new byte[2]);
        return jpeg;
    }

    [GeneratedRegex(@"Content-Length: (\d+)")]
    private static partial Regex ContentLength();

    [GeneratedRegex(@"id=""updates"">(\d+)<")]
    private static partial Regex UpdatesCounter();

    /// <summary>
    /// The overlay's axes in an image: pure red (X), green (Y) and blue (Z) pixels, and the point where all three meet, as the
    /// axes start at the object's origin. The scene has pure colours of its own, but not the three meeting in one spot.
    /// Bounds leave room for JPEG and anti-aliasing.
    /// </summary>
    private sealed record AxisColourCount(int Red, int Green, int Blue, int Origin)
    {
        public const int Enough = 10;

        public bool AllPresent => Red >= Enough && Green >= Enough && Blue >= Enough && Origin > 0;

        public static AxisColourCount In(Mat bgr)
        {
            using var red = Pure(bgr, 2);
            using var green = Pure(bgr, 1);
            using var blue = Pure(bgr, 0);
            using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(9, 9));
            using var origin = Near(red, kernel);
            using var nearGreen = Near(green, kernel);
            using var nearBlue = Near(blue, kernel);
            Cv2.BitwiseAnd(origin, nearGreen, origin);
            Cv2.BitwiseAnd(origin, nearBlue, origin);
            return new(Cv2.CountNonZero(red), Cv2.CountNonZero(green), Cv2.CountNonZero(blue), Cv2.CountNonZero(origin));
        }

        private static Mat Pure(Mat bgr, int channel)
        {
            var mask = new Mat();
            Cv2.InRange(bgr, new Scalar(channel == 0 ? 220 : 0, channel == 1 ? 220 : 0, channel == 2 ? 220 : 0), new Scalar(channel == 0 ? 255 : 45, channel == 1 ? 255 : 45, channel == 2 ? 255 : 45), mask);
            return mask;
        }

        private static Mat Near(Mat mask, Mat kernel)
        {
            var near = new Mat();
            Cv2.Dilate(mask, near, kernel);
            return near;
        }
    }
}

/// <summary>
/// Chromium takes most of the two cores while it runs: the live-view tests run apart from the other classes so that
/// neither they nor the timing-sensitive ones (stream rates, metrics that must move) fail for the other's load.
/// </summary>
[CollectionDefinition(LiveViewTests.Collection, DisableParallelization = true)]
public sealed class LiveViewCollection;
