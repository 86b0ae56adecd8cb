using System.Collections.Immutable;
using EdgePose.Core.Geometry;
using OpenCvSharp;

namespace EdgePose.Simulation.Scene;

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

    /// <summary>In-image pixels of the object's full silhouette, as if nothing covered it (what BOP calls px_count_all).</summary>
    public int SilhouettePixels { get; init; }

    /// <summary>Silhouette pixels not covered by occluders or nearer objects (BOP's px_count_visib).</summary>
    public int VisiblePixels { get; init; }

    /// <summary>Bounding box of the visible pixels; empty when none is visible (BOP's bbox_visib).</summary>
    public Rect VisibleBoundingBox { get; init; }
}
