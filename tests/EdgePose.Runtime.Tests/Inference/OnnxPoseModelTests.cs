using EdgePose.Runtime.Inference;
using Microsoft.ML.OnnxRuntime;

namespace EdgePose.Runtime.Tests.Inference;

public sealed class OnnxPoseModelTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Falls_back_to_CPU_when_GPU_providers_are_not_in_this_build()
    {
        var path = InferenceTestKit.ModelSeeing(InferenceTestKit.TruePose).WriteTo(_directory.File("model.onnx"));
        var options = InferenceTestKit.Options();
        options.ExecutionProviders = [ExecutionProvider.TensorRt, ExecutionProvider.Cuda, ExecutionProvider.Cpu];

        using var model = InferenceTestKit.Load(path, options);

        Assert.Equal("CPU", model.Info.ExecutionProvider);
    }

    [Theory]
    [InlineData(640, 480)]
    [InlineData(1280, 960)]
    public void Decodes_keypoints_to_the_true_pose(int frameWidth, int frameHeight)
    {
        // The camera is calibrated at 640×480; a larger frame exercises the intrinsics scaling as well as the letterbox.
        var frameCamera = InferenceTestKit.Camera.ScaledTo(frameWidth, frameHeight);
        var keypoints = InferenceTestKit.NormalisedKeypoints(InferenceTestKit.TruePose, frameCamera, 256, 256);
        var path = new TestModelBuilder { Keypoints = keypoints }.WriteTo(_directory.File("model.onnx"));
        var options = InferenceTestKit.Options();
        using var model = InferenceTestKit.Load(path, options);
        using var frame = InferenceTestKit.Frame(frameWidth, frameHeight);

        var result = model.Estimate(frame, InferenceTestKit.Camera, InferenceTestKit.Target);

        var estimate = Assert.IsType<Core.Poses.PoseEstimate>(result.Estimate);
        Assert.True(estimate.Pose.PositionErrorTo(InferenceTestKit.TruePose) < 1e-3, $"position error {estimate.Pose.PositionErrorTo(InferenceTestKit.TruePose)} m");
        Assert.True(estimate.Pose.AngleErrorDegreesTo(InferenceTestKit.TruePose) < 0.1, $"angle error {estimate.Pose.AngleErrorDegreesTo(InferenceTestKit.TruePose)}°");
        Assert.True(estimate.ReprojectionErrorPx < 0.05);
        // Exact keypoints pin the pose far inside the grasp tolerances, so the confidence stays near the mean score (0.95).
        Assert.InRange(result.Confidence, 0.8, 0.95);
        Assert.True(result.Confidence >= options.ConfidenceThreshold);
        Assert.Equal(result.Confidence, estimate.Confidence);
        Assert.Equal(36, estimate.Covariance.Length);
        Assert.True(result.Preprocess > TimeSpan.Zero && result.Inference > TimeSpan.Zero && result.Pnp > TimeSpan.Zero);
    }

    [Fact]
    public void Mediocre_scores_give_a_pose_below_the_confidence_threshold()
    {
        var options = InferenceTestKit.Options();
        // Every keypoint between the score floor and the threshold, so PnP gets them all, and their mean is below the threshold.
        var score = (float)((options.KeypointScoreFloor + options.ConfidenceThreshold) / 2);
        Assert.True(score < options.ConfidenceThreshold);
        var model = InferenceTestKit.ModelSeeing(InferenceTestKit.TruePose) with { Scores = [.. Enumerable.Repeat(score, 9)] };

        var result = Estimate(model, options);

        Assert.NotNull(result.Estimate);
        Assert.True(result.Confidence < options.ConfidenceThreshold, $"confidence {result.Confidence}");
    }

    [Theory]
    [InlineData(new[] { 0.01f, 0.01f, 0.01f, 0.01f, 0.01f, 0.01f, 0.01f, 0.01f, 0.01f })]
    [InlineData(new[] { 0.9f, 0.9f, 0.9f, 0.9f, 0.9f, 0.01f, 0.01f, 0.01f, 0.01f })]
    public void Too_few_confident_keypoints_give_no_pose(float[] scores)
    {
        var result = Estimate(InferenceTestKit.ModelSeeing(InferenceTestKit.TruePose) with { Scores = [.. scores] }, InferenceTestKit.Options());

        Assert.Null(result.Estimate);
        Assert.Equal(0, result.Confidence);
    }

    [Theory]
    [InlineData(new[] { 0, 9 }, new[] { 0.05f, -0.05f })]
    [InlineData(new[] { 2, 3 }, new[] { 0.06f, -0.04f })]
    public void Keypoints_the_model_is_sure_of_that_disagree_with_any_pose_make_it_unconfident(int[] coordinates, float[] shifts)
    {
        var keypoints = InferenceTestKit.NormalisedKeypoints(InferenceTestKit.TruePose, InferenceTestKit.Camera, 256, 256).ToArray();
        foreach (var (coordinate, shift) in coordinates.Zip(shifts))
        {
            keypoints[coordinate] += shift;
        }

        var result = Estimate(new TestModelBuilder { Keypoints = [.. keypoints] }, InferenceTestKit.Options());

        Assert.NotNull(result.Estimate);
        Assert.True(result.Estimate.ReprojectionErrorPx > 1, $"reprojection error {result.Estimate.ReprojectionErrorPx} px");
        Assert.True(result.Confidence < InferenceTestKit.Options().ConfidenceThreshold, $"confidence {result.Confidence}");
    }

    [Theory]
    [InlineData("NaN keypoints")]
    [InlineData("NaN scores")]
    [InlineData("infinite scores")]
    [InlineData("infinite keypoints")]
    public void Outputs_that_are_not_numbers_give_no_pose(string broken)
    {
        // A model that overflows (fp16 on an accelerator, a bad export) must not turn into a served pose.
        var exact = InferenceTestKit.ModelSeeing(InferenceTestKit.TruePose);
        var model = broken switch
        {
            "NaN keypoints" => exact with { Keypoints = [.. exact.Keypoints.Select(_ => float.NaN)] },
            "NaN scores" => exact with { Scores = [.. exact.Scores.Select(_ => float.NaN)] },
            "infinite scores" => exact with { Scores = [.. exact.Scores.Select(_ => float.PositiveInfinity)] },
            _ => exact with { Keypoints = [.. exact.Keypoints.Select((k, i) => i < 6 ? float.PositiveInfinity : k)] },
        };

        var result = Estimate(model, InferenceTestKit.Options());

        Assert.Null(result.Estimate);
        Assert.Equal(0, result.Confidence);
    }

    [Fact]
    public void A_keypoint_far_off_that_the_model_doubts_barely_moves_the_pose()
    {
        var keypoints = InferenceTestKit.NormalisedKeypoints(InferenceTestKit.TruePose, InferenceTestKit.Camera, 256, 256).ToArray();
        keypoints[2] += 0.06f;
        keypoints[3] -= 0.04f;
        var scores = Enumerable.Repeat(0.95f, 9).ToArray();
        scores[1] = 0.1f;

        var result = Estimate(new TestModelBuilder { Keypoints = [.. keypoints], Scores = [.. scores] }, InferenceTestKit.Options());

        var estimate = Assert.IsType<Core.Poses.PoseEstimate>(result.Estimate);
        Assert.True(estimate.ReprojectionErrorPx < 1, $"reprojection error {estimate.ReprojectionErrorPx} px");
        Assert.True(estimate.Pose.PositionErrorTo(InferenceTestKit.TruePose) < 1e-3, $"position error {estimate.Pose.PositionErrorTo(InferenceTestKit.TruePose)} m");
        Assert.True(result.Confidence >= InferenceTestKit.Options().ConfidenceThreshold, $"confidence {result.Confidence}");
    }

    [Fact]
    public void A_pose_the_keypoints_do_not_pin_down_within_the_tolerances_is_not_confident()
    {
        var exact = Estimate(InferenceTestKit.ModelSeeing(InferenceTestKit.TruePose), InferenceTestKit.Options());
        var options = InferenceTestKit.Options();
        options.ConfidencePositionToleranceMeters = 1e-4;

        var strict = Estimate(InferenceTestKit.ModelSeeing(InferenceTestKit.TruePose), options);

        Assert.NotNull(strict.Estimate);
        Assert.True(strict.Confidence < exact.Confidence / 2, $"confidence {strict.Confidence} vs {exact.Confidence}");
    }

    [Fact]
    public void Runtime_failure_throws_for_the_caller_to_fall_back()
    {
        var path = new TestModelBuilder { FailsAtRun = true }.WriteTo(_directory.File("model.onnx"));
        using var model = InferenceTestKit.Load(path, InferenceTestKit.Options(warmupRuns: 0));
        using var frame = InferenceTestKit.Frame();

        Assert.Throws<OnnxRuntimeException>(() => model.Estimate(frame, InferenceTestKit.Camera, InferenceTestKit.Target));
    }

    [Fact]
    public void Warm_up_surfaces_a_runtime_failure_at_load()
    {
        var path = new TestModelBuilder { FailsAtRun = true }.WriteTo(_directory.File("model.onnx"));

        Assert.Throws<OnnxRuntimeException>(() => InferenceTestKit.Load(path, InferenceTestKit.Options(warmupRuns: 1)));
    }

    [Fact]
    public void Disposed_model_refuses_to_estimate()
    {
        var path = InferenceTestKit.ModelSeeing(InferenceTestKit.TruePose).WriteTo(_directory.File("model.onnx"));
        var model = InferenceTestKit.Load(path, InferenceTestKit.Options());
        using var frame = InferenceTestKit.Frame();

        model.Dispose();
        model.Dispose();

        Assert.Throws<ObjectDisposedException>(() => model.Estimate(frame, InferenceTestKit.Camera, InferenceTestKit.Target));
    }

    [Fact]
    public void Concurrent_calls_on_frames_of_different_sizes_each_get_their_own_letterbox_and_outputs()
    {
        var path = InferenceTestKit.ModelSeeing(InferenceTestKit.TruePose).WriteTo(_directory.File("model.onnx"));
        using var model = InferenceTestKit.Load(path, InferenceTestKit.Options());
        using var small = InferenceTestKit.Frame(640, 480);
        using var large = InferenceTestKit.Frame(1280, 960);

        // Had the calls shared one input tensor, a call would solve PnP with the other size's letterbox geometry (twice or half the distance).
        var errors = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 96, new ParallelOptions { MaxDegreeOfParallelism = 6 }, i =>
        {
            var frame = i % 2 == 0 ? small : large;
            var result = model.Estimate(frame, InferenceTestKit.Camera, InferenceTestKit.Target);
            if (result.Estimate is not { } estimate || estimate.Pose.PositionErrorTo(InferenceTestKit.TruePose) > 1e-3)
            {
                errors.Add($"call {i} on {frame.Width}x{frame.Height}: {result.Estimate?.Pose.PositionErrorTo(InferenceTestKit.TruePose)}");
            }
        });

        Assert.Empty(errors);
    }

    [Fact]
    public async Task Dispose_during_calls_lets_them_finish_and_refuses_new_ones()
    {
        var path = InferenceTestKit.ModelSeeing(InferenceTestKit.TruePose).WriteTo(_directory.File("model.onnx"));
        var model = InferenceTestKit.Load(path, InferenceTestKit.Options());
        using var frame = InferenceTestKit.Frame();
        var finished = 0;
        var refused = 0;

        var callers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                try
                {
                    Assert.NotNull(model.Estimate(frame, InferenceTestKit.Camera, InferenceTestKit.Target).Estimate);
                    Interlocked.Increment(ref finished);
                }
                catch (ObjectDisposedException)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        })).ToArray();
        SpinWait.SpinUntil(() => Volatile.Read(ref finished) > 8, TimeSpan.FromSeconds(30));
        model.Dispose();
        await Task.WhenAll(callers);

        Assert.True(finished > 8 && refused > 0, $"{finished} finished, {refused} refused");
    }

    private ModelPoseResult Estimate(TestModelBuilder builder, InferenceOptions options)
    {
        var path = builder.WriteTo(_directory.File($"model-{Guid.NewGuid():N}.onnx"));
        using var model = InferenceTestKit.Load(path, options);
        using var frame = InferenceTestKit.Frame();
        return model.Estimate(frame, InferenceTestKit.Camera, InferenceTestKit.Target);
    }
}
