using EdgePose.Runtime.Capture;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgePose.Runtime.Tests.Capture;

public sealed class CaptureOptionsTests
{
    [Theory]
    [InlineData("Source=Video", "EdgePose:Capture:VideoPath = '': is required when Source is Video")]
    [InlineData("Source=Images", "EdgePose:Capture:ImagesDirectory = '': is required when Source is Images")]
    [InlineData("Source=Camera;CameraDevice= ", "EdgePose:Capture:CameraDevice = ' ': is required when Source is Camera")]
    [InlineData("Source=Gstreamer", "EdgePose:Capture:GstreamerPipeline = '': is required when Source is Gstreamer")]
    [InlineData("ChannelCapacity=0", "EdgePose:Capture:ChannelCapacity")]
    [InlineData("ReadTimeout=00:00:00", "EdgePose:Capture:ReadTimeout")]
    [InlineData("ReconnectInitialDelay=00:00:05;ReconnectMaxDelay=00:00:01", "EdgePose:Capture:ReconnectMaxDelay")]
    [InlineData("Width=0", "EdgePose:Capture:Width = '0': must be between 16 and 8192.")]
    [InlineData("AllowSynthetic=true;Synthetic:FramesPerSecond=0", "EdgePose:Capture:Synthetic:FramesPerSecond = '0': must be between 0.1 and 1000.")]
    [InlineData("", "EdgePose:Capture:Source = 'Synthetic': serves poses of a rendered scene, not of a camera")]
    [InlineData("AllowSynthetic=false", "EdgePose:Capture:AllowSynthetic=true")]
    public void Invalid_settings_are_rejected_with_the_setting_named(string settings, string expected)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind(settings));
        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), error.Message);
    }

    [Fact]
    public void Defaults_are_a_synthetic_source_at_640x480_30fps_that_must_be_allowed()
    {
        var options = Bind("AllowSynthetic=true");
        Assert.Equal(CaptureSourceKind.Synthetic, options.Source);
        Assert.Equal((640, 480, 30.0, 2, true), (options.Width, options.Height, options.FramesPerSecond, options.ChannelCapacity, options.Loop));
        Assert.Equal(TimeSpan.FromSeconds(0.5), options.ReconnectInitialDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ReconnectMaxDelay);
        Assert.Equal(TimeSpan.FromSeconds(2), options.ReadTimeout);
    }

    [Fact]
    public void A_camera_with_its_device_is_valid() =>
        Assert.Equal("/dev/video0", Bind("Source=Camera;CameraDevice=/dev/video0").CameraDevice);

    private static CaptureOptions Bind(string settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Split(';', StringSplitOptions.RemoveEmptyEntries)
                .Select(s => s.Split('=', 2))
                .Select(kv => KeyValuePair.Create($"{CaptureOptions.SectionName}:{kv[0]}", (string?)kv[1])))
            .Build();
        using var services = new ServiceCollection()
            .AddWorkcell(configuration)
            .AddPoseMetrics(Prometheus.Metrics.NewCustomRegistry())
            .AddCapture(configuration)
            .BuildServiceProvider();
        return services.GetRequiredService<IOptions<CaptureOptions>>().Value;
    }
}
