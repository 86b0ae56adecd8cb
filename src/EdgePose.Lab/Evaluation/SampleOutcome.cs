using EdgePose.Core.Geometry;

namespace EdgePose.Lab.Evaluation;

/// <summary>Wall times of one frame in seconds: the whole estimate (or RPC round trip) and the stages inside it.</summary>
public sealed record FrameLatency(double EndToEnd, double Preprocess, double Inference, double Pnp, double Baseline)
{
    public static FrameLatency Of(TimeSpan endToEnd, Runtime.Pipeline.FrameEstimate estimate) => new(
        endToEnd.TotalSeconds, estimate.Preprocess.TotalSeconds, estimate.Inference.TotalSeconds, estimate.Pnp.TotalSeconds, estimate.Baseline.TotalSeconds);

    /// <summary>This frame's work and then <paramref name="next"/>'s, one after the other on the same frame.</summary>
    public FrameLatency Then(FrameLatency next) => new(
        EndToEnd + next.EndToEnd, Preprocess + next.Preprocess, Inference + next.Inference, Pnp + next.Pnp, Baseline + next.Baseline);
}

/// <summary>
/// What the slices group by. Null where the dataset does not say (a BOP dataset without scene_edgepose.json has no
/// marker, blur or brightness labels; its occlusion comes from visib_fract and its distance from cam_t_m2c).
/// </summary>
public sealed record SampleConditions(bool? MarkerVisible, double OcclusionFraction, double DistanceMeters, double? BlurSigmaPx, double? Brightness);

/// <summary>One labelled object in one frame as one estimator answered it. Errors are null when no pose was found.</summary>
public sealed record SampleOutcome
{
    private SampleOutcome(
        int imageId, int datasetObjectId, RigidTransform truth, RigidTransform? estimate, double confidence,
        string source, string fallbackReason, double diameterMeters, FrameLatency latency, SampleConditions conditions)
    {
        ImageId = imageId;
        DatasetObjectId = datasetObjectId;
        Truth = truth;
        Estimate = estimate;
        Confidence = confidence;
        Source = source;
        FallbackReason = fallbackReason;
        DiameterMeters = diameterMeters;
        Latency = latency;
        Conditions = conditions;
    }

    public int ImageId { get; }

    /// <summary>BOP obj_id.</summary>
    public int DatasetObjectId { get; }

    /// <summary>T_camera_object from the ground truth, metres.</summary>
    public RigidTransform Truth { get; }

    /// <summary>T_camera_object as estimated, or null when not found.</summary>
    public RigidTransform? Estimate { get; }

    public double Confidence { get; }

    /// <summary>model, baseline or none.</summary>
    public string Source { get; }

    public string FallbackReason { get; }

    public double DiameterMeters { get; }

    public FrameLatency Latency { get; private init; }

    public SampleConditions Conditions { get; }

    public bool Found => Estimate is not null;

    /// <summary>
    /// This answer as the fallback policy serves it after <paramref name="rejected"/>'s estimator ran on the same frame and
    /// was not used: the frame waited for both.
    /// </summary>
    public SampleOutcome After(SampleOutcome rejected) => this with { Latency = rejected.Latency.Then(Latency) };

    public double? PositionErrorMeters { get; private init; }

    /// <summary>Signed: positive where the pose puts the object too far away.</summary>
    public double? DepthErrorMeters { get; private init; }

    public double? LateralErrorMeters { get; private init; }

    public double? AngleErrorDegrees { get; private init; }

    public double? AddMeters { get; private init; }

    public double? AddSMeters { get; private init; }

    /// <summary>The BOP/Hinterstoisser criterion: ADD under a tenth of the diameter; a missing pose fails.</summary>
    public bool AddPasses => AddMeters < 0.1 * DiameterMeters;

    public bool AddSPasses => AddSMeters < 0.1 * DiameterMeters;

    /// <param name="modelPoints">Points on the object's surface in the object frame, metres, for ADD and ADD-S.</param>
    public static SampleOutcome Create(
        int imageId, int datasetObjectId, RigidTransform truth, RigidTransform? estimate, double confidence, string source, string fallbackReason,
        IReadOnlyList<Vec3> modelPoints, double diameterMeters, FrameLatency latency, SampleConditions conditions) =>
        new(imageId, datasetObjectId, truth, estimate, confidence, source, fallbackReason, diameterMeters, latency, conditions)
        {
            PositionErrorMeters = estimate is { } e ? PoseErrorMetrics.PositionErrorMeters(e, truth) : null,
            DepthErrorMeters = estimate is { } z ? PoseErrorMetrics.DepthErrorMeters(z, truth) : null,
            LateralErrorMeters = estimate is { } l ? PoseErrorMetrics.LateralErrorMeters(l, truth) : null,
            AngleErrorDegrees = estimate is { } a ? PoseErrorMetrics.AngleErrorDegrees(a, truth) : null,
            AddMeters = estimate is { } d ? PoseErrorMetrics.Add(modelPoints, d, truth) : null,
            AddSMeters = estimate is { } s ? PoseErrorMetrics.AddS(modelPoints, s, truth) : null,
        };
}
