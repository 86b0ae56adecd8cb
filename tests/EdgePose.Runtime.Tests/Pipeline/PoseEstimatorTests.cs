using EdgePose.Core.Poses;
using EdgePose.Runtime.Baseline;
using EdgePose.Runtime.Pipeline;
using EdgePose.Runtime.Tests.Inference;

namespace EdgePose.Runtime.Tests.Pipeline;

public sealed class PoseEstimatorTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_confident_model_answers_and_the_baseline_does_not_run()
    {
        await using var under = await EstimatorUnderTest.CreateAsync("model-with-fallback", Scenes.Model(_directory, Scenes.MarkerFacing));
        using var scene = Scenes.Render(Scenes.MarkerFacing);

        var estimate = under.Estimator.Estimate(scene.Image, InferenceTestKit.Camera);

        var pose = Assert.Single(estimate.Poses);
        Assert.Equal(PoseSource.Model, pose.Source);
        Assert.Equal(FallbackReason.None, pose.FallbackReason);
        Assert.True(pose.Estimate!.Pose.PositionErrorTo(Scenes.MarkerFacing) < 1e-3);
        Assert.Equal(TimeSpan.Zero, estimate.Baseline);
        Assert.True(estimate.Inference > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_cancelled_call_stops_before_the_next_stage()
    {
        await using var under = await EstimatorUnderTest.CreateAsync("model-with-fallback", Scenes.Model(_directory, Scenes.MarkerFacing));
        using var scene = Scenes.Render(Scenes.MarkerFacing);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        Assert.Throws<OperationCanceledException>(() => under.Estimator.Estimate(scene.Image, InferenceTestKit.Camera, cancelled.Token));
    }

    [Fact]
    public async Task On_demand_requests_have_an_estimator_and_baseline_detector_of_their_own()
    {
        await using var under = await EstimatorUnderTest.CreateAsync("model-with-fallback", Scenes.Model(_directory, Scenes.MarkerFacing));

        Assert.NotSame(under.Estimator, under.OnDemand);
        Assert.NotSame(under.Service<IBaselineEstimator>(null), under.Service<IBaselineEstimator>(PoseEstimators.OnDemand));
        using var scene = Scenes.Render(Scenes.MarkerFacing);
        var pose = Assert.Single(under.OnDemand.Estimate(scene.Image, InferenceTestKit.Camera).Poses);
        Assert.Equal(PoseSource.Model, pose.Source);
    }

    [Theory]
    [InlineData("missing", FallbackReason.ModelAbsent)]
    [InlineData("corrupt", FallbackReason.ModelLoadFailed)]
    [InlineData("throws", FallbackReason.ModelError)]
    [InlineData("unsure", FallbackReason.ModelLowConfidence)]
    [InlineData("slow", FallbackReason.ModelOverBudget)]
    public async Task The_baseline_replaces_a_model_that_cannot_answer_well_and_says_why(string model, FallbackReason reason)
    {
        var path = model switch
        {
            "missing" => _directory.File("missing.onnx"),
            "corrupt" => await Corrupt(),
            "throws" => Scenes.Model(_directory, Scenes.MarkerFacing, b => b with { FailsAtRun = true }),
            "unsure" => Scenes.UnsureModel(_directory, Scenes.MarkerFacing),
            _ => Scenes.Model(_directory, Scenes.MarkerFacing),
        };
        await using var under = await EstimatorUnderTest.CreateAsync(
            "model-with-fallback", path, model == "slow" ? new SlowClock() : null, warmupRuns: model == "throws" ? 0 : 1);
        using var scene = Scenes.Render(Scenes.MarkerFacing);

        var pose = Assert.Single(under.Estimator.Estimate(scene.Image, InferenceTestKit.Camera).Poses);

        Assert.Equal(PoseSource.Baseline, pose.Source);
        Assert.Equal(reason, pose.FallbackReason);
        Assert.True(pose.Estimate!.Pose.PositionErrorTo(Scenes.MarkerFacing) < 0.01);
    }

    [Fact]
    public async Task When_neither_can_answer_the_object_is_not_found_rather_than_served_from_a_rejected_model()
    {
        var unsure = Scenes.UnsureModel(_directory, Scenes.MarkerFacing);
        await using var under = await EstimatorUnderTest.CreateAsync("model-with-fallback", unsure);
        using var scene = Scenes.Render(Scenes.MarkerFacing, markerHidden: true);

        var pose = Assert.Single(under.Estimator.Estimate(scene.Image, InferenceTestKit.Camera).Poses);

        Assert.False(pose.Found);
        Assert.Equal(PoseSource.None, pose.Source);
        Assert.Equal(FallbackReason.ModelLowConfidence, pose.FallbackReason);
    }

    [Fact]
    public async Task An_unsure_model_answer_tells_the_live_baseline_where_to_look_first()
    {
        // A first frame: no earlier marker to search around, so a local search can only come from the model's unsure pose.
        await using var under = await EstimatorUnderTest.CreateAsync("model-with-fallback", Scenes.UnsureModel(_directory, Scenes.MarkerFacing));
        using var scene = Scenes.Render(Scenes.MarkerFacing);

        var pose = Assert.Single(under.Estimator.Estimate(scene.Image, InferenceTestKit.Camera).Poses);

        Assert.Equal(PoseSource.Baseline, pose.Source);
        Assert.True(((ArucoBaselineEstimator)under.Service<IBaselineEstimator>(null)).LastSearchWasLocal);
        var whole = Assert.Single(under.OnDemand.Estimate(scene.Image, InferenceTestKit.Camera).Poses);
        Assert.True(pose.Estimate!.Pose.PositionErrorTo(whole.Estimate!.Pose) < 1e-5);
    }

    [Fact]
    public async Task A_baseline_run_beside_the_model_after_a_fallback_serves_what_it_serves_after_the_model()
    {
        var unsure = Scenes.UnsureModel(_directory, Scenes.MarkerFacing);
        await using var after = await EstimatorUnderTest.CreateAsync("model-with-fallback", unsure);
        await using var beside = await EstimatorUnderTest.CreateAsync("model-with-fallback", unsure, baselineScheduling: "beside-model-after-fallback");

        // The first frame has no fallback before it; the next ones start the baseline beside the model.
        for (var frame = 0; frame < 3; frame++)
        {
            using var scene = Scenes.Render(Scenes.MarkerFacing);
            var expected = Assert.Single(after.Estimator.Estimate(scene.Image, InferenceTestKit.Camera).Poses);
            var estimate = beside.Estimator.Estimate(scene.Image, InferenceTestKit.Camera);
            var actual = Assert.Single(estimate.Poses);

            Assert.Equal(PoseSource.Baseline, actual.Source);
            Assert.Equal(FallbackReason.ModelLowConfidence, actual.FallbackReason);
            Assert.Equal(expected.Estimate!.Pose, actual.Estimate!.Pose);
            Assert.True(estimate.Baseline > TimeSpan.Zero && estimate.Inference > TimeSpan.Zero);
        }

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        using var last = Scenes.Render(Scenes.MarkerFacing);
        Assert.ThrowsAny<OperationCanceledException>(() => beside.Estimator.Estimate(last.Image, InferenceTestKit.Camera, cancelled.Token));
    }

    [Fact]
    public async Task Model_only_never_falls_back()
    {
        await using var under = await EstimatorUnderTest.CreateAsync("model-only", _directory.File("missing.onnx"));
        using var scene = Scenes.Render(Scenes.MarkerFacing);

        var estimate = under.Estimator.Estimate(scene.Image, InferenceTestKit.Camera);

        var pose = Assert.Single(estimate.Poses);
        Assert.False(pose.Found);
        Assert.Equal(FallbackReason.ModelAbsent, pose.FallbackReason);
        Assert.Equal(TimeSpan.Zero, estimate.Baseline);
    }

    [Fact]
    public async Task Baseline_only_never_runs_the_model()
    {
        await using var under = await EstimatorUnderTest.CreateAsync("baseline-only", Scenes.Model(_directory, Scenes.MarkerFacing));
        using var scene = Scenes.Render(Scenes.MarkerFacing);

        var estimate = under.Estimator.Estimate(scene.Image, InferenceTestKit.Camera);

        var pose = Assert.Single(estimate.Poses);
        Assert.Equal(PoseSource.Baseline, pose.Source);
        Assert.Equal(FallbackReason.PolicyBaselineOnly, pose.FallbackReason);
        Assert.Equal(TimeSpan.Zero, estimate.Inference);
    }

    [Theory]
    [InlineData(false, PoseSource.Baseline, FallbackReason.PolicyMarkerVisible)]
    [InlineData(true, PoseSource.Model, FallbackReason.None)]
    public async Task Prefer_baseline_uses_the_marker_when_it_is_seen_and_the_model_otherwise(bool markerHidden, PoseSource source, FallbackReason reason)
    {
        await using var under = await EstimatorUnderTest.CreateAsync("prefer-baseline-when-marker-visible", Scenes.Model(_directory, Scenes.MarkerFacing));
        using var scene = Scenes.Render(Scenes.MarkerFacing, markerHidden);

        var pose = Assert.Single(under.Estimator.Estimate(scene.Image, InferenceTestKit.Camera).Poses);

        Assert.Equal(source, pose.Source);
        Assert.Equal(reason, pose.FallbackReason);
    }

    [Fact]
    public async Task A_hot_reload_to_a_broken_file_keeps_the_model_answering()
    {
        var path = Scenes.Model(_directory, Scenes.MarkerFacing);
        await using var under = await EstimatorUnderTest.CreateAsync("model-with-fallback", path);
        await File.WriteAllTextAsync(path, "not an onnx file");

        Assert.False(await under.ModelHost.ReloadAsync(CancellationToken.None));
        using var scene = Scenes.Render(Scenes.MarkerFacing);
        var pose = Assert.Single(under.Estimator.Estimate(scene.Image, InferenceTestKit.Camera).Poses);

        Assert.Equal(PoseSource.Model, pose.Source);
        Assert.NotNull(under.ModelHost.LastError);
    }

    private async Task<string> Corrupt()
    {
        var path = _directory.File("corrupt.onnx");
        await File.WriteAllBytesAsync(path, [.. Enumerable.Range(0, 2048).Select(i => (byte)(i * 31))]);
        return path;
    }
}
