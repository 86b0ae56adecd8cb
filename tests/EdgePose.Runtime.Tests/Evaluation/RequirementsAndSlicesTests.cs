using System.Globalization;
using EdgePose.Runtime.Evaluation;
using EdgePose.Runtime.Geometry;
using EdgePose.Runtime.Tests.Inference;
using static EdgePose.Runtime.Tests.Evaluation.EvaluationTestKit;

namespace EdgePose.Runtime.Tests.Evaluation;

public sealed class RequirementsAndSlicesTests
{
    private static readonly EvaluationRequirements Defaults = EvaluationRequirements.Default;

    [Fact]
    public void Grasp_ready_needs_every_requirement_and_a_missing_pose_fails_the_accuracy_ones()
    {
        Assert.True(Defaults.IsGraspReady(Sample(new Vec3(0.005, 0, 0), degrees: 4)));
        Assert.False(Defaults.IsGraspReady(Sample(new Vec3(0.011, 0, 0))));
        Assert.False(Defaults.IsGraspReady(Sample(Vec3.Zero, degrees: 6)));
        Assert.False(Defaults.IsGraspReady(Sample(Vec3.Zero, latency: 0.15)));

        var missing = Sample(null);
        Assert.Equal(
            [false, false, false, true],
            Defaults.PerFrame.Select(r => r.Passes(missing)));
    }

    [Fact]
    public void Summary_rates_are_over_all_frames_and_errors_over_found_frames()
    {
        SampleOutcome[] samples =
        [
            Sample(new Vec3(0.003, 0.004, 0), imageId: 0),       // ready
            Sample(new Vec3(0.02, 0, 0), imageId: 1),            // position fails
            Sample(null, imageId: 2),                            // not found
            Sample(Vec3.Zero, latency: 0.2, imageId: 3),         // too slow
        ];
        var summary = EstimatorSummary.Of("baseline", "baseline-only", samples, Defaults);
        Assert.Equal(0.75, summary.FoundRate);
        Assert.Equal(0.25, summary.GraspReadyRate);
        Assert.Equal(3, summary.PositionErrorMeters.Count);
        Assert.Equal(0.005, summary.PositionErrorMeters.Median!.Value, 12);
        Assert.Equal(0.02, summary.PositionErrorMeters.Max!.Value, 12);
        var rates = summary.Requirements.ToDictionary(r => r.Name, r => r.PassRate);
        Assert.Equal(0.75, rates["found"]);
        Assert.Equal(0.5, rates["position_m"]);
        Assert.Equal(0.75, rates["angle_deg"]);
        Assert.Equal(0.75, rates["latency_s"]);
        Assert.Equal(0.25, rates["grasp_ready"]);
        Assert.Equal(0.5, summary.AddPassRate);

        var gate = GateOutcome.Check(summary, null);
        Assert.Equal(["found", "position_m", "angle_deg", "latency_s", "grasp_ready"], gate.Failures.Select(f => f.Split(' ')[1]));
        Assert.Contains("baseline: position_m pass rate 0.500 is below the minimum 0.900", gate.Failures);
    }

    [Fact]
    public void Wrong_poses_are_served_poses_that_miss_position_or_angle_and_reliability_bins_them_by_confidence()
    {
        SampleOutcome[] samples =
        [
            Sample(new Vec3(0.003, 0, 0), imageId: 0, confidence: 0.95),   // ready
            Sample(new Vec3(0.02, 0, 0), imageId: 1, confidence: 0.92),    // wrong: position
            Sample(Vec3.Zero, degrees: 7, imageId: 2, confidence: 0.35),   // wrong: angle
            Sample(Vec3.Zero, latency: 0.2, imageId: 3, confidence: 1.0),  // accurate but late: not wrong, not ready
            Sample(null, imageId: 4),                                       // not served: never wrong
        ];
        var summary = EstimatorSummary.Of("model", "model-only", samples, Defaults);
        Assert.Equal(0.4, summary.WrongPoseRate, 12);
        Assert.Equal(EstimatorSummary.ReliabilityBins, summary.Reliability.Count);
        var top = summary.Reliability[^1];
        Assert.Equal((0.9, 1.0, 3), (top.Low, top.High, top.Frames));
        Assert.Equal(1.0 / 3, top.GraspReadyRate, 12);
        Assert.Equal((1, 0.0), (summary.Reliability[3].Frames, summary.Reliability[3].GraspReadyRate));
        Assert.Equal(4, summary.Reliability.Sum(b => b.Frames));
    }

    [Fact]
    public void The_gate_fails_a_candidate_with_a_lower_grasp_ready_rate_than_the_model_it_replaces()
    {
        var lenient = Defaults with
        {
            Found = new RequirementLimit(0), PositionMeters = new RequirementLimit(0, 0.01), AngleDegrees = new RequirementLimit(0, 5),
            LatencySeconds = new RequirementLimit(0, 0.1), GraspReady = new RequirementLimit(0),
        };
        var candidate = EstimatorSummary.Of("policy", "", [Sample(Vec3.Zero), Sample(null, imageId: 1)], lenient);
        var incumbent = EstimatorSummary.Of("policy_compare", "", [Sample(Vec3.Zero), Sample(Vec3.Zero, imageId: 1)], lenient);
        Assert.True(GateOutcome.Check(candidate, null).Passed);
        Assert.True(GateOutcome.Check(incumbent, candidate).Passed);
        var failure = Assert.Single(GateOutcome.Check(candidate, incumbent).Failures);
        Assert.Equal("policy: grasp_ready rate 0.500 is below policy_compare's 1.000", failure);
    }

    [Fact]
    public void Requirements_round_trip_through_json_and_a_bad_file_names_the_field()
    {
        using var folder = new TempDirectory();
        var path = folder.File("requirements.json");
        File.WriteAllText(path, Defaults.ToJson());
        Assert.Equal(Defaults, EvaluationRequirements.Load(path));

        File.WriteAllText(path, Defaults.ToJson().Replace("\"min_pass_rate\": 0.9,", "\"min_pass_rate\": 1.5,", StringComparison.Ordinal));
        Assert.Contains("position_m.min_pass_rate must be between 0 and 1", Assert.Throws<InvalidDataException>(() => EvaluationRequirements.Load(path)).Message, StringComparison.Ordinal);

        File.WriteAllText(path, Defaults.ToJson().Replace("\"below\": 5", "\"below\": 5, \"belw\": 4", StringComparison.Ordinal));
        var unknown = Assert.Throws<InvalidDataException>(() => EvaluationRequirements.Load(path)).Message;
        Assert.Contains(path, unknown, StringComparison.Ordinal);
        Assert.Contains("belw", unknown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0, "occlusion_none")]
    [InlineData(0.1, "occlusion_up_to_10pct")]
    [InlineData(0.15, "occlusion_10_to_20pct")]
    [InlineData(0.25, "occlusion_over_20pct")]
    public void Occlusion_bins_are_closed_above(double occlusion, string slice) =>
        Assert.Equal(slice, Assert.Single(SliceAnalysis.Standard, s => s.Key.StartsWith("occlusion", StringComparison.Ordinal) && s.Contains(Plain with { OcclusionFraction = occlusion })).Key);

    [Fact]
    public void Every_labelled_sample_falls_in_exactly_one_bin_per_condition()
    {
        var conditions = new SampleConditions(false, 0.05, 0.85, 1.0, 1.1);
        var keys = SliceAnalysis.Standard.Where(s => s.Contains(conditions)).Select(s => s.Key);
        Assert.Equal(["marker_hidden", "occlusion_up_to_10pct", "distance_over_85cm", "blur_up_to_1px", "brightness_0_8_to_1_1"], keys);

        // Plain BOP datasets have no marker, blur or brightness labels: those samples are in no such slice.
        var unlabelled = SliceAnalysis.Standard.Where(s => s.Contains(new SampleConditions(null, 0, 0.4, null, null))).Select(s => s.Key);
        Assert.Equal(["occlusion_none", "distance_under_50cm"], unlabelled);
    }

    [Fact]
    public void Slices_report_failure_shares_and_put_the_costliest_first()
    {
        // 4 hidden-marker frames that all fail, 6 visible-marker frames of which 1 fails: 5 failures in 10 frames.
        var hidden = Plain with { MarkerVisible = false };
        var samples = Enumerable.Range(0, 10).Select(i => Sample(
            i < 4 || i == 4 ? null : Vec3.Zero, conditions: i < 4 ? hidden : Plain, imageId: i)).ToArray();
        var slices = SliceAnalysis.Analyze(samples, Defaults.IsGraspReady);
        var first = slices[0];
        Assert.Equal(("marker_hidden", 4, 4, 0.0, 0.8, 2.0), (first.Key, first.Frames, first.Failures, first.GraspReadyRate!.Value, first.FailureShare, first.ExcessFailures));
        var visible = slices.Single(s => s.Key == "marker_visible");
        Assert.Equal((6, 1, 0.2, -2.0), (visible.Frames, visible.Failures, visible.FailureShare, visible.ExcessFailures));
        Assert.Equal(slices.OrderByDescending(s => s.ExcessFailures).Select(s => s.Key), slices.Select(s => s.Key));
        var empty = slices.Single(s => s.Key == "blur_over_1px");
        Assert.Equal((0, null, 0.0), (empty.Frames, empty.GraspReadyRate, empty.FailureShare));
    }

    [Fact]
    public void Bop_csv_has_one_row_per_found_pose_in_millimetres()
    {
        var csv = EvaluationReportWriter.ToBopCsv([Sample(Vec3.Zero, imageId: 7), Sample(null, imageId: 8)]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("scene_id,im_id,obj_id,score,R,t,time", csv[0]);
        var row = Assert.Single(csv[1..]).Split(',');
        Assert.Equal(["0", "7", "1", "0.9"], row[..4]);
        Assert.Equal(Truth.Rotation.ToRowMajor(), row[4].Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)));
        Assert.Equal([20.0, -10.0, 600.0], row[5].Split(' ').Select(v => Math.Round(double.Parse(v, CultureInfo.InvariantCulture), 9)));
        Assert.Equal(0.02, double.Parse(row[6], CultureInfo.InvariantCulture));
        Assert.Equal(
            "edgeposepolicycompare_edgepose-test.csv",
            EvaluationReportWriter.BopCsvFileName("policy_compare", new DatasetDescription("/data/edgepose/", "test", 1, 1, 0)));
    }
}
