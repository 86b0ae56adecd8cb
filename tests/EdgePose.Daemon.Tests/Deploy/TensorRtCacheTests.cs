using EdgePose.Runtime.Inference;

namespace EdgePose.Daemon.Tests.Deploy;

/// <summary>The systemd unit points the TensorRT caches at /var/cache/edgepose; engines must be keyed by the model's hash.</summary>
public sealed class TensorRtCacheTests
{
    private const string ModelA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string ModelB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    [Fact]
    public void Each_model_hash_gets_its_own_engine_folder_and_all_share_the_configured_timing_cache()
    {
        var options = new InferenceOptions
        {
            TensorRtEngineCacheDirectory = "/var/cache/edgepose/tensorrt",
            TensorRtTimingCacheDirectory = "/var/cache/edgepose/tensorrt-timing",
        };

        var a = OrtSessionFactory.TensorRtCacheDirectories(options, ModelA);
        var b = OrtSessionFactory.TensorRtCacheDirectories(options, ModelB);

        Assert.Equal($"/var/cache/edgepose/tensorrt/{ModelA}", a.EngineDirectory);
        Assert.Equal($"/var/cache/edgepose/tensorrt/{ModelB}", b.EngineDirectory);
        Assert.Equal("/var/cache/edgepose/tensorrt-timing", a.TimingDirectory);
        Assert.Equal(a.TimingDirectory, b.TimingDirectory);
    }

    [Fact]
    public void Without_configuration_the_caches_live_under_the_temp_directory()
    {
        var (engine, timing) = OrtSessionFactory.TensorRtCacheDirectories(new InferenceOptions(), ModelA);
        var root = Path.Combine(Path.GetTempPath(), "edgepose", "tensorrt");
        Assert.Equal(Path.Combine(root, ModelA), engine);
        Assert.Equal(Path.Combine(root, "timing"), timing);
    }
}
