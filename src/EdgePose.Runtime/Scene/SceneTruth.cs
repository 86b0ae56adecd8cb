using System.Collections.Immutable;
using EdgePose.Runtime.Geometry;
using OpenCvSharp;

namespace EdgePose.Runtime.Scene;

/// <summary>Exact labels of one rendered frame.</summary>
public sealed record SceneTruth(
    long Index,
    ImmutableArray<ObjectTruth> Objects,
    double BlurSigmaPx,
    double Brightness);

/// <summary>Ground truth for one object: T_camera_object and what the camera could see of it.</summary>
public sealed record ObjectTruth(
    string ObjectId,
    RigidTransform Pose,
    ImmutableArray<Point2d> Keypoints2D,
    Rect BoundingBox,
    bool MarkerVisible,
    double OcclusionFraction,
    double VisibleFraction)
{
    public double DistanceMeters => Pose.Translation.Length;
}
