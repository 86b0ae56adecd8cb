using System.Collections.Immutable;
using EdgePose.Core.Geometry;
using OpenCvSharp.Aruco;

namespace EdgePose.Core.Objects;

/// <summary>
/// An object as the estimators see it. Object frame: origin at the box centre, X along the longest configured edge
/// (SizeX), Y along SizeY, Z along SizeZ; metres.
/// Keypoint order (the model contract's too): corners 0-7 as (±X/2, ±Y/2, ±Z/2) with signs
/// 0 (−,−,−), 1 (+,−,−), 2 (+,+,−), 3 (−,+,−), 4 (−,−,+), 5 (+,−,+), 6 (+,+,+), 7 (−,+,+), then 8 = centre.
/// </summary>
public sealed class TargetObject
{
    public const int KeypointCount = 9;

    public TargetObject(string id, string name, int datasetId, Vec3 size, FiducialMarker marker, RigidTransform? graspOffset)
    {
        Id = id;
        Name = name;
        DatasetId = datasetId;
        Size = size;
        Marker = marker;
        GraspOffset = graspOffset;
        Keypoints = BuildKeypoints(size);
    }

    public string Id { get; }

    public string Name { get; }

    public int DatasetId { get; }

    /// <summary>Edge lengths along X, Y, Z in metres.</summary>
    public Vec3 Size { get; }

    public FiducialMarker Marker { get; }

    /// <summary>T_object_grasp, applied to reported poses when set.</summary>
    public RigidTransform? GraspOffset { get; }

    public ImmutableArray<Vec3> Keypoints { get; }

    public ImmutableArray<Vec3> Corners => Keypoints[..8];

    public double Diameter => Size.Length;

    public static TargetObject DefaultBox { get; } = FromOptions(new TargetObjectOptions());

    public static TargetObject FromOptions(TargetObjectOptions options) => new(
        options.Id,
        options.Name,
        options.DatasetId,
        new Vec3(options.SizeXMeters, options.SizeYMeters, options.SizeZMeters),
        new FiducialMarker(
            FiducialMarker.ParseDictionary(options.Marker.Dictionary),
            options.Marker.Id,
            options.Marker.SideMeters,
            options.Marker.PoseInObject.ToTransform()),
        options.GraspOffset?.ToTransform());

    private static ImmutableArray<Vec3> BuildKeypoints(Vec3 size)
    {
        var (hx, hy, hz) = (size.X / 2, size.Y / 2, size.Z / 2);
        return
        [
            new(-hx, -hy, -hz), new(hx, -hy, -hz), new(hx, hy, -hz), new(-hx, hy, -hz),
            new(-hx, -hy, hz), new(hx, -hy, hz), new(hx, hy, hz), new(-hx, hy, hz),
            Vec3.Zero,
        ];
    }
}

/// <summary>An ArUco marker fixed to an object: T_object_marker places its frame (x right, y up, z out of the face).</summary>
public sealed record FiducialMarker(PredefinedDictionaryType Dictionary, int Id, double SideMeters, RigidTransform PoseInObject)
{
    /// <summary>Marker corners in the marker frame, in ArUco's order: top-left, top-right, bottom-right, bottom-left.</summary>
    public ImmutableArray<Vec3> CornersInMarker
    {
        get
        {
            var h = SideMeters / 2;
            return [new(-h, h, 0), new(h, h, 0), new(h, -h, 0), new(-h, -h, 0)];
        }
    }

    public ImmutableArray<Vec3> CornersInObject => [.. CornersInMarker.Select(PoseInObject.Apply)];

    public static PredefinedDictionaryType ParseDictionary(string name) =>
        Enum.TryParse<PredefinedDictionaryType>(name, ignoreCase: true, out var dictionary) && Enum.IsDefined(dictionary)
            ? dictionary
            : throw new ArgumentException(
                $"Unknown ArUco dictionary '{name}'; allowed: {string.Join(", ", Enum.GetNames<PredefinedDictionaryType>())}.", nameof(name));
}
