using System.ComponentModel.DataAnnotations;
using EdgePose.Core.Geometry;

namespace EdgePose.Core.Objects;

/// <summary>A rigid transform as configuration: translation in metres, rotation as roll/pitch/yaw in degrees (R = Rz·Ry·Rx).</summary>
public sealed class TransformOptions
{
    [Range(-100, 100)] public double XMeters { get; set; }

    [Range(-100, 100)] public double YMeters { get; set; }

    [Range(-100, 100)] public double ZMeters { get; set; }

    [Range(-360, 360)] public double RollDegrees { get; set; }

    [Range(-360, 360)] public double PitchDegrees { get; set; }

    [Range(-360, 360)] public double YawDegrees { get; set; }

    /// <summary>The settings that configure <paramref name="transform"/>: what a calibration writes for the daemon to read back.</summary>
    public static TransformOptions FromTransform(RigidTransform transform)
    {
        var rpy = transform.Rotation.ToRollPitchYaw();
        const double degrees = 180 / Math.PI;
        return new TransformOptions
        {
            XMeters = transform.Translation.X,
            YMeters = transform.Translation.Y,
            ZMeters = transform.Translation.Z,
            RollDegrees = rpy.Roll * degrees,
            PitchDegrees = rpy.Pitch * degrees,
            YawDegrees = rpy.Yaw * degrees,
        };
    }

    public RigidTransform ToTransform() => new(
        Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(RollDegrees, PitchDegrees, YawDegrees)),
        new Vec3(XMeters, YMeters, ZMeters));
}
