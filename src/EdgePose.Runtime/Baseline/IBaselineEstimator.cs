using System.Collections.Immutable;
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
    ImmutableArray<PoseEstimate?> Estimate(Mat image, CameraIntrinsics camera, ImmutableArray<TargetObject> objects);
}
