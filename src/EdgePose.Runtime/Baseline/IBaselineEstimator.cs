using System.Collections.Immutable;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
using OpenCvSharp;

namespace EdgePose.Runtime.Baseline;

/// <summary>The scripted fiducial estimator: ArUco detection + IPPE_SQUARE PnP, no learning.</summary>
public interface IBaselineEstimator
{
    /// <summary>
    /// T_camera_object for each object (index-aligned with <paramref name="objects"/>), null where its marker is not seen.
    /// Markers are detected once per image. Thread-safe.
    /// </summary>
    /// <param name="expectedPoses">
    /// Where the caller expects each object (index-aligned; null where it has no guess), such as the model's answer that
    /// was too unsure to serve: a live estimator searches there first. It changes how long the search takes, not its result.
    /// </param>
    ImmutableArray<PoseEstimate?> Estimate(
        Mat image, CameraIntrinsics camera, ImmutableArray<TargetObject> objects, ImmutableArray<RigidTransform?> expectedPoses = default);
}
