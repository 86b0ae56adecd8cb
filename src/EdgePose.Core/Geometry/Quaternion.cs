namespace EdgePose.Core.Geometry;

/// <summary>Unit quaternion (w, x, y, z), Hamilton convention, w ≥ 0 after normalisation.</summary>
public readonly record struct UnitQuaternion(double W, double X, double Y, double Z);

/// <summary>Roll about X, pitch about Y, yaw about Z, in radians; R = Rz(yaw)·Ry(pitch)·Rx(roll) as in ROS.</summary>
public readonly record struct RollPitchYaw(double Roll, double Pitch, double Yaw)
{
    public static RollPitchYaw FromDegrees(double roll, double pitch, double yaw) =>
        new(roll * Math.PI / 180, pitch * Math.PI / 180, yaw * Math.PI / 180);
}
