using EdgePose.Runtime.Geometry;

namespace EdgePose.Runtime.Tests.Geometry;

public sealed class RotationTests
{
    [Fact]
    public void Quaternion_round_trips_through_matrix()
    {
        var r = Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(10, -20, 30));
        var back = Rotation3.FromQuaternion(r.ToQuaternion());
        Assert.True(Rotation3.AngleBetweenDegrees(r, back) < 1e-9);
    }
}
