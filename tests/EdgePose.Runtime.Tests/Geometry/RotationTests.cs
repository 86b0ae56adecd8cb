using EdgePose.Core.Geometry;

namespace EdgePose.Runtime.Tests.Geometry;

public sealed class RotationTests
{
    public static TheoryData<double, double, double> Axes => new() { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };

    [Fact]
    public void Quaternion_round_trips_through_matrix()
    {
        var r = Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(10, -20, 30));
        var back = Rotation3.FromQuaternion(r.ToQuaternion());
        Assert.True(Rotation3.AngleBetweenDegrees(r, back) < 1e-9);
    }

    [Theory]
    [MemberData(nameof(Axes))]
    public void Ninety_degrees_about_an_axis_has_the_textbook_matrix_quaternion_and_rodrigues(double x, double y, double z)
    {
        var axis = new Vec3(x, y, z);
        var r = Rotation3.FromAxisAngle(axis, Math.PI / 2);

        // Rotating the next axis (cyclically) by +90° gives the one after it: x→y, y→z, z→x.
        var next = new Vec3(z, x, y);
        AssertClose(new Vec3(y, z, x), r * next, 1e-12);
        var q = r.ToQuaternion();
        var s = Math.Sqrt(0.5);
        AssertClose(new Vec3(x * s, y * s, z * s), new Vec3(q.X, q.Y, q.Z), 1e-12);
        Assert.Equal(s, q.W, 12);
        AssertClose(axis * (Math.PI / 2), r.ToRodrigues(), 1e-12);
        Assert.Equal(90, Rotation3.AngleBetweenDegrees(Rotation3.Identity, r), 9);
    }

    [Fact]
    public void Roll_pitch_yaw_follow_the_ros_convention()
    {
        var yaw = Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(0, 0, 90));
        AssertClose(new Vec3(0, 1, 0), yaw * new Vec3(1, 0, 0), 1e-12);
        var pitch = Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(0, 90, 0));
        AssertClose(new Vec3(0, 0, -1), pitch * new Vec3(1, 0, 0), 1e-12);
        var roll = Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(90, 0, 0));
        AssertClose(new Vec3(0, 0, 1), roll * new Vec3(0, 1, 0), 1e-12);

        var rpy = Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(10, -20, 30)).ToRollPitchYaw();
        Assert.Equal(10, rpy.Roll * 180 / Math.PI, 9);
        Assert.Equal(-20, rpy.Pitch * 180 / Math.PI, 9);
        Assert.Equal(30, rpy.Yaw * 180 / Math.PI, 9);
    }

    [Theory]
    [InlineData(1e-7)]
    [InlineData(1e-4)]
    [InlineData(0.01)]
    [InlineData(1)]
    [InlineData(179)]
    [InlineData(180)]
    public void Angles_survive_rodrigues_and_angle_between_from_tiny_to_half_turn(double degrees)
    {
        var axis = new Vec3(1, -2, 0.5).Normalized();
        var r = Rotation3.FromRodrigues(axis * (degrees * Math.PI / 180));
        Assert.Equal(degrees, Rotation3.AngleBetweenDegrees(Rotation3.Identity, r), 6);
        Assert.Equal(degrees, Rotation3.AngleBetweenDegrees(r, Rotation3.Identity), 6);
        var back = Rotation3.FromRodrigues(r.ToRodrigues());
        Assert.True(Rotation3.AngleBetweenDegrees(r, back) < 1e-6);
        Assert.True(Rotation3.AngleBetweenDegrees(r, Rotation3.FromQuaternion(r.ToQuaternion())) < 1e-6);
        Assert.True(Rotation3.AngleBetweenDegrees(r, Rotation3.FromRowMajor(r.ToRowMajor())) < 1e-6);
    }

    [Fact]
    public void Half_turn_rodrigues_keeps_its_axis()
    {
        var r = Rotation3.FromAxisAngle(new Vec3(0, 1, 0), Math.PI);
        var v = r.ToRodrigues();
        Assert.Equal(Math.PI, v.Length, 9);
        Assert.Equal(1, Math.Abs(v.Normalized().Y), 9);
    }

    [Fact]
    public void Angle_between_is_the_relative_rotation()
    {
        var a = Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(30, 40, -50));
        var b = a * Rotation3.FromAxisAngle(new Vec3(0.3, 0.4, 0.5), 0.25);
        Assert.Equal(0.25 * 180 / Math.PI, Rotation3.AngleBetweenDegrees(a, b), 9);
    }

    private static void AssertClose(Vec3 expected, Vec3 actual, double tolerance) =>
        Assert.True(expected.DistanceTo(actual) < tolerance, $"expected {expected}, got {actual}");
}
