using EdgePose.Runtime.Capture;
using EdgePose.Runtime.Scene;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePose.Runtime.Tests.Capture;

public sealed class FrameSourceFactoryTests
{
    [Theory]
    [InlineData("Synthetic", typeof(SyntheticFrameSource))]
    [InlineData("Video", typeof(VideoFileSource))]
    [InlineData("Images", typeof(ImageFolderSource))]
    [InlineData("Camera", typeof(CameraSource))]
    public void The_configured_source_is_built(string source, Type expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgePose:Capture:Source"] = source,
            ["EdgePose:Capture:VideoPath"] = "clip.avi",
            ["EdgePose:Capture:ImagesDirectory"] = "frames",
            ["EdgePose:Capture:CameraDevice"] = "0",
            ["EdgePose:Capture:AllowSynthetic"] = "true",
        }).Build();
        using var services = new ServiceCollection()
            .AddLogging()
            .AddWorkcell(configuration)
            .AddPoseMetrics(Prometheus.Metrics.NewCustomRegistry())
            .AddCapture(configuration)
            .BuildServiceProvider();

        using var created = services.GetRequiredService<IFrameSourceFactory>().Create();

        Assert.IsType(expected, created);
    }
}
