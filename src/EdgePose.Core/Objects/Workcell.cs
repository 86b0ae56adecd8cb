using System.Collections.Immutable;
using EdgePose.Core.Geometry;

namespace EdgePose.Core.Objects;

/// <summary>The validated, immutable view of <see cref="WorkcellOptions"/> that the estimators use.</summary>
public sealed class Workcell
{
    public Workcell(CameraIntrinsics camera, ImmutableArray<TargetObject> objects, RigidTransform? cameraToBase)
    {
        if (objects.IsDefaultOrEmpty)
        {
            throw new ArgumentException("A workcell needs at least one object.", nameof(objects));
        }

        var duplicate = objects.GroupBy(o => o.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Object id '{duplicate.Key}' is configured more than once.", nameof(objects));
        }

        Camera = camera;
        Objects = objects;
        CameraToBase = cameraToBase;
    }

    public CameraIntrinsics Camera { get; }

    public ImmutableArray<TargetObject> Objects { get; }

    /// <summary>T_base_camera; null means poses stay in the camera frame.</summary>
    public RigidTransform? CameraToBase { get; }

    public TargetObject? FindObject(string id) => Objects.FirstOrDefault(o => o.Id == id);

    public static Workcell Default { get; } = new(CameraIntrinsics.Default640x480, [TargetObject.DefaultBox], null);

    public static Workcell FromOptions(WorkcellOptions options) => new(
        CameraIntrinsics.FromOptions(options.Camera),
        options.Objects.Count == 0 ? [TargetObject.DefaultBox] : [.. options.Objects.Select(TargetObject.FromOptions)],
        options.Camera.CameraToBase?.ToTransform());
}
