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

    public RigidTransform ToTransform() => new(
        Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(RollDegrees, PitchDegrees, YawDegrees)),
        new Vec3(XMeters, YMeters, ZMeters));
}
