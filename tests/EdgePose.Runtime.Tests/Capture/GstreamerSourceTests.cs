using EdgePose.Runtime.Capture;
using Microsoft.Extensions.Options;

namespace EdgePose.Runtime.Tests.Capture;

public sealed class GstreamerSourceTests
{
    [Fact]
    public void This_opencv_build_reports_no_gstreamer() => Assert.False(OpenCvVideoBackends.GstreamerAvailable);

    [Theory]
    [InlineData("  Video I/O:\n    FFMPEG:  YES\n    GStreamer:  YES (1.22.0)\n    v4l/v4l2:  YES", true)]
    [InlineData("  Video I/O:\n    GStreamer:                   NO\n", false)]
    [InlineData("  Video I/O:\n    FFMPEG:  YES\n    v4l/v4l2:  YES (linux/videodev2.h)\n", false)]
    public void Build_information_is_read_for_gstreamer(string buildInformation, bool expected) =>
        Assert.Equal(expected, OpenCvVideoBackends.EnabledIn(buildInformation).Contains("GStreamer"));

    [Fact]
    public void Video_backends_are_the_top_level_yes_entries_of_the_video_io_block() => Assert.Equal(
        ["FFMPEG", "v4l/v4l2"],
        OpenCvVideoBackends.EnabledIn("  Video I/O:\n    FFMPEG:  YES\n      avcodec:  YES (58.1)\n    GStreamer:  NO\n    v4l/v4l2:  YES (linux/videodev2.h)\n\n  Parallel framework:  pthreads\n"));

    [Fact]
    public async Task Host_start_fails_with_a_clear_error_when_opencv_has_no_gstreamer()
    {
        await using var host = CaptureHost.Create(new Dictionary<string, string?>
        {
            ["Source"] = "Gstreamer",
            ["GstreamerPipeline"] = "videotestsrc ! videoconvert ! appsink",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartAsync);

        Assert.Contains("EdgePose:Capture:Source", error.Message, StringComparison.Ordinal);
        Assert.Contains("without GStreamer", error.Message, StringComparison.Ordinal);
    }
}
