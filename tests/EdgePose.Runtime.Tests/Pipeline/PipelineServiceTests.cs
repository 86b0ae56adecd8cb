using System.Collections.Immutable;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Runtime.Baseline;
using EdgePose.Runtime.Capture;
using EdgePose.Runtime.Inference;
using EdgePose.Runtime.Pipeline;
using EdgePose.Core.Poses;
using EdgePose.Runtime.Tests.Capture;
using EdgePose.Runtime.Tests.Inference;
using Microsoft.Extensions.DependencyInjection;
using OpenCvSharp;

namespace EdgePose.Runtime.Tests.Pipeline;

/// <summary>The whole runtime on the synthetic camera, as the daemon hosts it.</summary>
public sealed class PipelineServiceTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Poses_appear_with_increasing_sequence_numbers_and_per_stage_timings()
    {
        using var host = RuntimeHost.Build(cameraFps: 30, Scenes.Model(_directory, Scenes.MarkerFacing));
        await host.StartAsync();
        var store = host.Services.GetRequiredService<IPoseResultStore>();
        using var subscription = store.Subscribe();

        var results = new List<PoseResult>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await foreach (var result in subscription.Results.ReadAllAsync(timeout.Token))
        {
            results.Add(result);
            if (results.Count == 10)
            {
                break;
            }
        }

        Assert.Equal(results.Select(r => r.FrameSequence).Order(), results.Select(r => r.FrameSequence));
        Assert.Equal(results.Count, results.Select(r => r.FrameSequence).Distinct().Count());
        Assert.All(results, r =>
        {
            Assert.True(r.PublishTime >= r.CaptureTime);
            Assert.True(r.Timings.EndToEnd > TimeSpan.Zero);
            Assert.True(r.Synthetic, "results from the synthetic camera say so");
            Assert.Single(r.Poses);
        });
        Assert.Equal(PipelineState.Ready, store.Current.State);
        Assert.True(store.Current.FramesProcessed >= 10);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_camera_faster_than_the_pipeline_drops_the_oldest_frames_and_counts_them()
    {
        // A loop slower than the camera on any machine: the real baseline, a millisecond on the synthetic camera's frames
        // once it tracks the marker, keeps up with it on a quiet one, and this test is about what happens when it cannot.
        using var host = RuntimeHost.Build(cameraFps: 1000, modelPath: "", services: s => s.AddSingleton<IBaselineEstimator>(new SlowBaseline()));
        await host.StartAsync();
        var store = host.Services.GetRequiredService<IPoseResultStore>();
        var capture = host.Services.GetRequiredService<ICaptureMonitor>();

        await Poll.UntilAsync(() => capture.Status.FramesCaptured > store.Current.FramesProcessed + 20, "frames to pile up", timeoutSeconds: 20);
        await host.StopAsync();

        var dropped = MetricValues.Read(host.Services.GetRequiredService<Prometheus.CollectorRegistry>(), "edgepose_frames_dropped_total");
        Assert.True(dropped > 0);
        Assert.True(capture.Status.FramesCaptured - store.Current.FramesProcessed <= dropped + 2 /* capacity */ + 1 /* in flight */);
    }

    /// <summary>A baseline that takes 20 ms a frame and never sees a marker.</summary>
    private sealed class SlowBaseline : IBaselineEstimator
    {
        public ImmutableArray<PoseEstimate?> Estimate(
            Mat image, CameraIntrinsics camera, ImmutableArray<TargetObject> objects, ImmutableArray<RigidTransform?> expectedPoses = default)
        {
            // Several times a rendered frame's cost on a slow CPU (20-40 ms on a 2-core AVX2 VM under the test run's load,
            // where 20 ms let the camera fall behind the loop and nothing piled up).
            Thread.Sleep(200);
            return [.. objects.Select(_ => (PoseEstimate?)null)];
        }
    }

    [Fact]
    public async Task Stopping_ends_streams_and_releases_the_model_and_queued_frames()
    {
        using var host = RuntimeHost.Build(cameraFps: 200, Scenes.Model(_directory, Scenes.MarkerFacing));
        await host.StartAsync();
        var store = host.Services.GetRequiredService<IPoseResultStore>();
        var frames = host.Services.GetRequiredService<FrameChannel>();
        var modelHost = host.Services.GetRequiredService<IModelHost>();
        using var subscription = store.Subscribe();
        await Poll.UntilAsync(() => store.Current.FramesProcessed > 5, "the first results", timeoutSeconds: 20);
        var model = modelHost.Current!;

        await host.StopAsync();
        host.Dispose();

        Assert.Equal(PipelineState.Stopped, store.Current.State);
        Assert.True(subscription.Results.Completion.IsCompleted || await subscription.Results.Completion.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => true));
        Assert.False(frames.Reader.TryRead(out _));
        using var image = InferenceTestKit.Frame();
        Assert.Throws<ObjectDisposedException>(() => model.Estimate(image, InferenceTestKit.Camera, InferenceTestKit.Target));
    }
}
