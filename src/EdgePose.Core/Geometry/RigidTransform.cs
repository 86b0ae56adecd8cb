namespace EdgePose.Core.Geometry;

/// <summary>
/// A rigid transform T_a_b: maps points expressed in frame b into frame a (p_a = R·p_b + t).
/// A pose of the object in the camera frame is T_camera_object.
/// </summary>
public readonly record struct RigidTransform(Rotation3 Rotation, Vec3 Translation)
{
    public static RigidTransform Identity { get; } = new(Rotation3.Identity, Vec3.Zero);

    public Vec3 Apply(Vec3 point) => (Rotation * point) + Translation;

    public RigidTransform Inverse()
    {
        var inverse = Rotation.Transpose();
        return new RigidTransform(inverse, -(inverse * Translation));
    }

    /// <summary>T_a_c = T_a_b · T_b_c.</summary>
    public static RigidTransform operator *(RigidTransform ab, RigidTransform bc) =>
        new(ab.Rotation * bc.Rotation, (ab.Rotation * bc.Translation) + ab.Translation);

    public static RigidTransform FromRodrigues(Vec3 rotationVector, Vec3 translation) =>
        new(Rotation3.FromRodrigues(rotationVector), translation);

    public double PositionErrorTo(RigidTransform truth) => Translation.DistanceTo(truth.Translation);

    public double AngleErrorDegreesTo(RigidTransform truth) => Rotation3.AngleBetweenDegrees(Rotation, truth.Rotation);
}
