using EdgePose.Core.Geometry;
using EdgePose.Lab.Evaluation;

namespace EdgePose.Daemon.Tests.Eval;

/// <summary>The threshold rule on hand-made frames: which answer the policy serves, when, and how long the frame took.</summary>
public sealed class ThresholdSelectionTests
{
    private static readonly RigidTransform Truth = new(Rotation3.Identity, new Vec3(0, 0, 0.6));
    private static readonly RigidTransform Right = new(Rotation3.Identity, new Vec3(0.002, 0, 0.6));
    private static readonly RigidTransform Wrong = new(Rotation3.Identity, new Vec3(0, 0, 0.62));
    private static readonly EvaluationRequirements Requirements = EvaluationRequirements.Default;

    [Fact]
    public void The_policy_serves_the_model_from_its_threshold_up_and_below_it_the_baseline_from_its_own_after_the_model()
    {
        var sample = new ThresholdSample(Model(Wrong, 0.40, 0.030), Baseline(Right, 0.020));

        Assert.Same(sample.Model, sample.Policy(0.40, 0.95));
        var fallback = sample.Policy(0.41, 0.90)!;
        Assert.Equal(Right, fallback.Estimate);
        Assert.Equal(0.050, fallback.Latency.EndToEnd, 12);
        Assert.Equal(0.030, fallback.Latency.Inference, 12);
        Assert.Equal(0.020, fallback.Latency.Baseline, 12);
        Assert.Null(sample.Policy(0.41, 0.91));
    }

    [Fact]
    public void A_fallback_that_is_right_but_lands_after_the_budget_is_not_grasp_ready()
    {
        var sample = new ThresholdSample(Model(null, 0, 0.070), Baseline(Right, 0.040));

        Assert.True(Requirements.IsGraspReady(sample.Baseline));
        Assert.False(Requirements.IsGraspReady(sample.Policy(0.5, 0.5)!));
        Assert.False(Requirements.IsWrongPose(sample.Policy(0.5, 0.5)!));
    }

    [Fact]
    public void The_thresholds_making_the_most_frames_grasp_ready_within_the_wrong_pose_limit_are_chosen_on_the_splits_pooled()
    {
        // Ten frames per split. First split: the model is sure and right on six, and wrong at 0.35 on one where the
        // baseline is right; second split: the model is wrong at 0.45 on one where the baseline is wrong too.
        ThresholdSample Frame(RigidTransform? model, double confidence, RigidTransform? baseline) =>
            new(Model(model, confidence, 0.01), Baseline(baseline, 0.005));
        IReadOnlyList<ThresholdSample> first =
        [
            .. Enumerable.Repeat(Frame(Right, 0.8, null), 6), Frame(Wrong, 0.35, Right), .. Enumerable.Repeat(Frame(null, 0, null), 3),
        ];
        IReadOnlyList<ThresholdSample> second =
        [
            .. Enumerable.Repeat(Frame(Right, 0.8, Right), 9), Frame(Wrong, 0.45, Wrong),
        ];

        var choice = ThresholdSelection.Choose([("a", first), ("b", second)], Requirements, maxWrongRate: 0.05, heldOutFrames: 0);

        // Up to 0.35 the model serves both its wrong poses (2 of 20 = 10%). From 0.36 it serves one (5%: within the
        // limit), and the baseline answers right in place of the other: 16 grasp-ready. Above 0.45 the baseline's wrong
        // pose replaces the model's, no better; a baseline threshold over its 0.9 serves neither, one grasp-ready fewer.
        var chosen = choice.Chosen!;
        Assert.Equal((0.36, 0.0), (chosen.ModelThreshold, chosen.BaselineThreshold));
        Assert.Equal(new ThresholdCounts(10, 6, 0, 7, 0), chosen.Splits[0]);
        Assert.Equal(new ThresholdCounts(10, 9, 1, 9, 1), chosen.Splits[1]);
        Assert.Equal(new ThresholdCounts(20, 15, 1, 16, 1), chosen.Pooled);
        Assert.Equal(ThresholdSelection.Steps + 1, choice.ModelRows.Count);
        Assert.Equal(new ThresholdCounts(10, 6, 1, 6, 1), choice.ModelRows[0].Splits[0]);
        Assert.Equal(new ThresholdCounts(10, 6, 0, 6, 0), choice.BaselineRows[^1].Splits[0]);

        // No wrong pose at all: the model above 0.45 and the baseline above 0.9, one frame fewer grasp-ready.
        var strict = ThresholdSelection.Choose([("a", first), ("b", second)], Requirements, maxWrongRate: 0.04, heldOutFrames: 0).Chosen!;
        Assert.Equal((0.46, 0.91), (strict.ModelThreshold, strict.BaselineThreshold));
        Assert.Equal(new ThresholdCounts(20, 15, 0, 15, 0), strict.Pooled);

        // The baseline's threshold kept where its wrong pose is served: nothing meets that.
        var kept = ThresholdSelection.Choose([("a", first), ("b", second)], Requirements, maxWrongRate: 0.04, heldOutFrames: 0, baselineThreshold: 0.5);
        Assert.Null(kept.Chosen);
        Assert.All(kept.ModelRows, row => Assert.Equal(0.5, row.BaselineThreshold));
        Assert.Empty(kept.BaselineRows);
    }

    [Fact]
    public void The_margin_is_one_standard_error_of_the_rate_on_a_held_out_split()
    {
        Assert.Equal(0.02, ThresholdSelection.WrongRateLimit(0.02, 0));
        Assert.Equal(0.02 - Math.Sqrt(0.02 * 0.98 / 1000), ThresholdSelection.WrongRateLimit(0.02, 1000), 15);
        Assert.InRange(ThresholdSelection.WrongRateLimit(0.02, 1000), 0.0155, 0.0156);
    }

    private static SampleOutcome Model(RigidTransform? estimate, double confidence, double seconds) =>
        Outcome(estimate, confidence, "model", new FrameLatency(seconds, 0, seconds, 0, 0));

    private static SampleOutcome Baseline(RigidTransform? estimate, double seconds) =>
        Outcome(estimate, estimate is null ? 0 : 0.9, "baseline", new FrameLatency(seconds, 0, 0, 0, seconds));

    private static SampleOutcome Outcome(RigidTransform? estimate, double confidence, string source, FrameLatency latency) => SampleOutcome.Create(
        0, 1, Truth, estimate, confidence, estimate is null ? "none" : source, "none", [new Vec3(0.05, 0, 0), new Vec3(0, 0.05, 0)], 0.1, latency,
        new SampleConditions(null, 0, 0.6, null, null));
}
