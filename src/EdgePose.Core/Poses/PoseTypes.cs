using System.Collections.Immutable;
using EdgePose.Core.Geometry;

namespace EdgePose.Core.Poses;

public enum PoseSource
{
    None,
    Model,
    Baseline,
}

/// <summary>Why the baseline answered instead of the model (None when the model answered).</summary>
public enum FallbackReason
{
    None,
    ModelAbsent,
    ModelLoadFailed,
    ModelError,
    ModelOverBudget,
    ModelLowConfidence,
    PolicyBaselineOnly,
    PolicyMarkerVisible,
}

public enum PoseFrame
{
    Camera,
    Base,
}

/// <summary>
/// What one estimator found for one object: T_camera_object (or the grasp frame when one is configured),
/// with a 6×6 covariance over (x, y, z, rx, ry, rz) in metres² and radians² (rotation-vector perturbation), row-major.
/// </summary>
public sealed record PoseEstimate(
    RigidTransform Pose,
    ImmutableArray<double> Covariance,
    double ReprojectionErrorPx,
    double Confidence,
    bool RotationAmbiguous);

/// <summary>The answer for one object in one frame, as served to the grasp controller.</summary>
public sealed record ObjectPose(
    string ObjectId,
    PoseEstimate? Estimate,
    PoseFrame Frame,
    PoseSource Source,
    FallbackReason FallbackReason)
{
    public bool Found => Estimate is not null;

    /// <summary>The object's track after this frame (live results); <see cref="TrackedPose.Untracked"/> for a single image.</summary>
    public TrackedPose Track { get; init; } = TrackedPose.Untracked;
}

/// <summary>Per-stage wall time of one frame; stages that did not run are zero.</summary>
public sealed record StageTimings(
    TimeSpan CaptureWait,
    TimeSpan Preprocess,
    TimeSpan Inference,
    TimeSpan Pnp,
    TimeSpan Baseline,
    TimeSpan EndToEnd);

/// <summary>One published result: every configured object's pose in one frame.</summary>
public sealed record PoseResult(
    long FrameSequence,
    DateTimeOffset CaptureTime,
    DateTimeOffset PublishTime,
    StageTimings Timings,
    ImmutableArray<ObjectPose> Poses)
{
    /// <summary>Capture time on <see cref="TimeProvider.GetTimestamp"/>'s monotonic clock; <see cref="CaptureTime"/> is the user's wall clock.</summary>
    public long CaptureTimestamp { get; init; }

    /// <summary>Estimated in a frame the synthetic source rendered: the poses are pretend, whatever their confidence.</summary>
    public bool Synthetic { get; init; }

    /// <summary>Time since capture on the monotonic clock: an NTP step of the wall clock neither ages nor rejuvenates a result.</summary>
    public TimeSpan AgeAt(TimeProvider clock) => clock.GetElapsedTime(CaptureTimestamp);
}
