using System.Collections.Immutable;
using System.Text.Json;
using EdgePose.Core.Datasets;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
using EdgePose.Lab.Datasets;
using EdgePose.Runtime.FailureCapture;
using EdgePose.Runtime.Metrics;
using EdgePose.Runtime.Pipeline;
using EdgePose.Runtime.Tests.Capture;
using EdgePose.Runtime.Tests.Inference;
using EdgePose.Runtime.Tests.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpenCvSharp;
using Prometheus;

namespace EdgePose.Runtime.Tests.FailureCapture;

/// <summary>The live runtime on the synthetic camera without a model: every frame falls back, so every frame is a failure.</summary>
public sealed class FailureCaptureTests : IDisposable
{
    private const string Written = "edgepose_failure_capture_frames_written_total";
    private const string DiskFull = "edgepose_failure_capture_dropped_total{reason=\"disk_full\"}";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Frames_the_model_failed_on_become_a_BOP_split_that_the_lab_reads_with_the_poses_served()
    {
        using var host = RuntimeHost.Build(cameraFps: 30, modelPath: "", Capture(minInterval: "00:00:00.050"));
        await host.StartAsync();
        var registry = host.Services.GetRequiredService<CollectorRegistry>();
        await Poll.UntilAsync(() => MetricValues.Read(registry, Written) >= 3, "three captured frames", timeoutSeconds: 60);
        await host.StopAsync();

        var written = (int)MetricValues.Read(registry, Written);
        var split = Path.GetFileName(Assert.Single(Directory.GetDirectories(_directory.Path, "failures-*")));
        var dataset = BopDatasetReader.Read(_directory.Path, split);
        Assert.Equal(written, dataset.Frames.Count);
        Assert.Equal(TargetObject.DefaultBox.DatasetId, Assert.Single(dataset.Models).Key);
        Assert.All(dataset.Frames, frame =>
        {
            // The ground truth is unknown until a labeller writes it.
            Assert.Empty(frame.GroundTruth);
            Assert.Equal([600, 0, 320, 0, 600, 240, 0, 0, 1], frame.Camera.CamK);
            using var image = Cv2.ImRead(frame.RgbPath);
            Assert.Equal((640, 480), (image.Width, image.Height));
        });

        var scene = BopFormat.ScenePath(_directory.Path, split);
        var served = JsonSerializer.Deserialize<Dictionary<int, BopServedFrame>>(File.ReadAllText(Path.Combine(scene, BopFormat.SceneServedFile)))!;
        Assert.Equal(dataset.Frames.Select(f => f.ImageId), served.Keys.Order());
        Assert.Equal(served.Values.Select(f => f.FrameSequence).Order(), served.OrderBy(f => f.Key).Select(f => f.Value.FrameSequence));
        Assert.All(served.Values, frame =>
        {
            Assert.True(frame.Synthetic);
            var pose = Assert.Single(frame.Poses);
            Assert.Equal((TargetObject.DefaultBox.DatasetId, TargetObject.DefaultBox.Id, "model_absent", "camera"), (pose.ObjectId, pose.WorkcellObjectId, pose.FallbackReason, pose.Frame));
            Assert.Contains(pose.Source, new[] { "baseline", "none" });
            Assert.Equal(pose.Source == "baseline", pose.CamRM2C is { Count: 9 } && pose.CamTM2C is { Count: 3 } && pose.Confidence is not null);
        });
    }

    [Fact]
    public async Task The_disk_cap_stops_writing_and_counts_what_it_refused()
    {
        const long cap = 1 << 20;
        using var host = RuntimeHost.Build(cameraFps: 30, modelPath: "", new Dictionary<string, string?>(Capture(minInterval: "00:00:00.010"))
        {
            ["EdgePose:FailureCapture:MaxBytes"] = cap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await host.StartAsync();
        var registry = host.Services.GetRequiredService<CollectorRegistry>();
        await Poll.UntilAsync(() => MetricValues.Read(registry, DiskFull) >= 1, "the cap", timeoutSeconds: 60);
        var writtenWhenFull = MetricValues.Read(registry, Written);
        await Poll.UntilAsync(() => MetricValues.Read(registry, DiskFull) >= 5, "more refused frames", timeoutSeconds: 30);
        await host.StopAsync();

        Assert.Equal(writtenWhenFull, MetricValues.Read(registry, Written));
        Assert.True(writtenWhenFull >= 1, "the first frames fit under 1 MiB");
        var used = new DirectoryInfo(_directory.Path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        Assert.InRange(used, 1, cap);
        Assert.Equal(used, MetricValues.Read(registry, "edgepose_failure_capture_bytes"));
        var split = Path.GetFileName(Assert.Single(Directory.GetDirectories(_directory.Path, "failures-*")));
        Assert.Equal(writtenWhenFull, BopDatasetReader.Read(_directory.Path, split).Frames.Count);
    }

    [Fact]
    public async Task Off_by_default_it_copies_and_writes_nothing()
    {
        using var host = RuntimeHost.Build(cameraFps: 60, modelPath: "");
        await host.StartAsync();
        var store = host.Services.GetRequiredService<IPoseResultStore>();
        await Poll.UntilAsync(() => store.Current.FramesProcessed >= 10, "ten failed frames", timeoutSeconds: 30);
        await host.StopAsync();

        Assert.False(host.Services.GetRequiredService<FailureCaptureQueue>().Enabled);
        var registry = host.Services.GetRequiredService<CollectorRegistry>();
        Assert.Equal(0, MetricValues.Read(registry, Written));
        Assert.All(
            new[] { "rate_limited", "buffer_full", "disk_full", "write_error" },
            reason => Assert.Equal(0, MetricValues.Read(registry, $"edgepose_failure_capture_dropped_total{{reason=\"{reason}\"}}")));
    }

    [Fact]
    public void The_loop_keeps_one_failed_frame_per_interval_and_the_buffer_evicts_the_oldest()
    {
        var clock = new FakeTimeProvider();
        var registry = Prometheus.Metrics.NewCustomRegistry();
        using var queue = new FailureCaptureQueue(
            Options.Create(new FailureCaptureOptions { Directory = _directory.Path, MinInterval = TimeSpan.FromSeconds(1), BufferFrames = 2 }),
            new FailureCaptureMetrics(new PoseMetrics(registry)),
            clock);
        using var image = InferenceTestKit.Frame();

        for (var sequence = 0; sequence < 10; sequence++)
        {
            queue.Offer(image, Result(sequence, found: false));
            queue.Offer(image, Result(sequence, found: true));
            clock.Advance(TimeSpan.FromMilliseconds(250));
        }

        // Kept at 0, 1 and 2 s (sequences 0, 4, 8); the buffer of two evicted sequence 0; served frames are never offered.
        var kept = new List<long>();
        while (queue.Reader.TryRead(out var frame))
        {
            using (frame)
            {
                Assert.NotSame(image, frame.Image);
                kept.Add(frame.Result.FrameSequence);
            }
        }

        Assert.Equal([4, 8], kept);
        Assert.Equal(7, MetricValues.Read(registry, "edgepose_failure_capture_dropped_total{reason=\"rate_limited\"}"));
        Assert.Equal(1, MetricValues.Read(registry, "edgepose_failure_capture_dropped_total{reason=\"buffer_full\"}"));
    }

    [Theory]
    [InlineData("captures", "must be an absolute path")]
    [InlineData("/proc/edgepose-captures", "must be a folder the daemon can write")]
    public async Task A_directory_it_cannot_use_stops_the_start_naming_the_setting(string directory, string problem)
    {
        using var host = RuntimeHost.Build(cameraFps: 30, modelPath: "", new Dictionary<string, string?> { ["EdgePose:FailureCapture:Directory"] = directory });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains($"EdgePose:FailureCapture:Directory = '{directory}': {problem}", error.Message);
    }

    private Dictionary<string, string?> Capture(string minInterval) => new()
    {
        ["EdgePose:FailureCapture:Directory"] = _directory.Path,
        ["EdgePose:FailureCapture:MinInterval"] = minInterval,
    };

    private static PoseResult Result(long sequence, bool found)
    {
        var pose = found
            ? new ObjectPose("box", new PoseEstimate(RigidTransform.Identity, [.. new double[36]], 0.5, 0.9, false), PoseFrame.Camera, PoseSource.Model, FallbackReason.None)
            : new ObjectPose("box", null, PoseFrame.Camera, PoseSource.None, FallbackReason.ModelLowConfidence);
        var now = DateTimeOffset.UnixEpoch;
        return new PoseResult(sequence, now, now, new StageTimings(default, default, default, default, default, default), ImmutableArray.Create(pose));
    }
}
