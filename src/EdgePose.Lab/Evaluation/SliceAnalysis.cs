namespace EdgePose.Lab.Evaluation;

/// <summary>A subset of frames by one recorded condition; <see cref="Key"/> is the stable report name.</summary>
public sealed record SliceDefinition(string Key, string Label, Func<SampleConditions, bool> Contains);

/// <param name="ExcessFailures">
/// The slice's cost: failures beyond what the estimator's overall failure rate predicts for this many frames
/// (failures − frames × overall failure rate). Positive: the condition costs grasps; the sum over one dimension's bins is 0.
/// </param>
public sealed record SliceResult(string Key, string Label, int Frames, int Failures, double? GraspReadyRate, double FailureShare, double ExcessFailures);

/// <summary>Where an estimator fails: grasp-ready rate and share of all failures per condition bin, most costly first.</summary>
public static class SliceAnalysis
{
    // Exactly-zero conditions come from the renderer's "not applied" draws, so compare against a hair above zero.
    private const double None = 1e-9;

    public static IReadOnlyList<SliceDefinition> Standard { get; } =
    [
        new("marker_visible", "marker visible", c => c.MarkerVisible == true),
        new("marker_hidden", "marker hidden", c => c.MarkerVisible == false),
        new("occlusion_none", "occlusion 0", c => c.OcclusionFraction <= None),
        new("occlusion_up_to_10pct", "occlusion (0, 0.1]", c => c.OcclusionFraction is > None and <= 0.1),
        new("occlusion_10_to_20pct", "occlusion (0.1, 0.2]", c => c.OcclusionFraction is > 0.1 and <= 0.2),
        new("occlusion_over_20pct", "occlusion > 0.2", c => c.OcclusionFraction > 0.2),
        new("distance_under_50cm", "distance < 0.5 m", c => c.DistanceMeters < 0.5),
        new("distance_50_to_70cm", "distance 0.5–0.7 m", c => c.DistanceMeters is >= 0.5 and < 0.7),
        new("distance_70_to_85cm", "distance 0.7–0.85 m", c => c.DistanceMeters is >= 0.7 and < 0.85),
        new("distance_over_85cm", "distance ≥ 0.85 m", c => c.DistanceMeters >= 0.85),
        new("blur_none", "no blur", c => c.BlurSigmaPx <= None),
        new("blur_up_to_1px", "blur ≤ 1 px", c => c.BlurSigmaPx is > None and <= 1),
        new("blur_over_1px", "blur > 1 px", c => c.BlurSigmaPx > 1),
        new("brightness_under_0_8", "brightness < 0.8", c => c.Brightness < 0.8),
        new("brightness_0_8_to_1_1", "brightness 0.8–1.1", c => c.Brightness is >= 0.8 and <= 1.1),
        new("brightness_over_1_1", "brightness > 1.1", c => c.Brightness > 1.1),
    ];

    /// <param name="ready">Whether a sample met every requirement.</param>
    /// <returns>One result per slice, highest <see cref="SliceResult.ExcessFailures"/> first (ties in definition order).</returns>
    public static IReadOnlyList<SliceResult> Analyze(IReadOnlyList<SampleOutcome> samples, Func<SampleOutcome, bool> ready, IReadOnlyList<SliceDefinition>? slices = null)
    {
        var failed = samples.Select(s => !ready(s)).ToArray();
        var totalFailures = failed.Count(f => f);
        var failureRate = samples.Count == 0 ? 0 : (double)totalFailures / samples.Count;
        return [.. (slices ?? Standard).Select(slice =>
        {
            var members = Enumerable.Range(0, samples.Count).Where(i => slice.Contains(samples[i].Conditions)).ToArray();
            var failures = members.Count(i => failed[i]);
            return new SliceResult(
                slice.Key,
                slice.Label,
                members.Length,
                failures,
                members.Length == 0 ? null : 1 - ((double)failures / members.Length),
                totalFailures == 0 ? 0 : (double)failures / totalFailures,
                failures - (members.Length * failureRate));
        }).OrderByDescending(r => r.ExcessFailures)];
    }
}
