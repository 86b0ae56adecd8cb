using EdgePose.Lab.Evaluation;
using EdgePose.Core.Geometry;

namespace EdgePose.Runtime.Tests.Evaluation;

public sealed class PoseErrorMetricsTests
{
    private static readonly RigidTransform Truth = EvaluationTestKit.Truth;
    private static readonly Vec3[] Box = [.. PoseErrorMetrics.BoxSurfacePoints(new Vec3(0.1, 0.06, 0.04))];

    [Fact]
    public void Identity_has_no_error()
    {
        Assert.Equal(0, PoseErrorMetrics.PositionErrorMeters(Truth, Truth), 12);
        Assert.Equal(0, PoseErrorMetrics.AngleErrorDegrees(Truth, Truth), 6);
        Assert.Equal(0, PoseErrorMetrics.Add(Box, Truth, Truth), 12);
        Assert.Equal(0, PoseErrorMetrics.AddS(Box, Truth, Truth), 12);
    }

    [Fact]
    public void A_3_4_0_mm_shift_is_5_mm_of_position_error_and_of_ADD()
    {
        var shifted = Truth with { Translation = Truth.Translation + new Vec3(0.003, 0.004, 0) };
        Assert.Equal(0.005, PoseErrorMetrics.PositionErrorMeters(shifted, Truth), 12);
        Assert.Equal(0, PoseErrorMetrics.AngleErrorDegrees(shifted, Truth), 6);
        Assert.Equal(0.005, PoseErrorMetrics.Add(Box, shifted, Truth), 12);
    }

    [Fact]
    public void Position_error_splits_along_and_across_the_line_of_sight()
    {
        // The object 0.6 m straight ahead and 0.8 m to the side: its line of sight is (0.6, 0, 0.8) / 1.
        var truth = new RigidTransform(Rotation3.Identity, new Vec3(0.6, 0, 0.8));
        var farther = truth with { Translation = truth.Translation + new Vec3(0.006, 0, 0.008) };
        var nearerAndAside = truth with { Translation = truth.Translation + new Vec3(-0.003, 0.002, -0.004) };
        Assert.Equal(0.01, PoseErrorMetrics.DepthErrorMeters(farther, truth), 12);
        Assert.Equal(0, PoseErrorMetrics.LateralErrorMeters(farther, truth), 12);
        Assert.Equal(-0.005, PoseErrorMetrics.DepthErrorMeters(nearerAndAside, truth), 12);
        Assert.Equal(0.002, PoseErrorMetrics.LateralErrorMeters(nearerAndAside, truth), 12);
        var position = PoseErrorMetrics.PositionErrorMeters(nearerAndAside, truth);
        Assert.Equal(position * position, Math.Pow(PoseErrorMetrics.DepthErrorMeters(nearerAndAside, truth), 2) + Math.Pow(PoseErrorMetrics.LateralErrorMeters(nearerAndAside, truth), 2), 12);
    }

    [Fact]
    public void A_quarter_turn_about_z_is_90_degrees()
    {
        var turned = new RigidTransform(Rotation3.FromAxisAngle(new Vec3(0, 0, 1), Math.PI / 2), Vec3.Zero);
        Assert.Equal(90, PoseErrorMetrics.AngleErrorDegrees(turned, RigidTransform.Identity), 9);
        Assert.Equal(0, PoseErrorMetrics.PositionErrorMeters(turned, RigidTransform.Identity), 12);
    }

    [Fact]
    public void A_half_turn_of_a_symmetric_point_set_is_free_for_ADD_S_but_not_for_ADD()
    {
        // (±a,0,0), (0,±b,0), (0,0,±c) maps onto itself under a half turn about z; x and y points move by 2a and 2b.
        var (a, b, c) = (0.05, 0.03, 0.02);
        Vec3[] points = [new(a, 0, 0), new(-a, 0, 0), new(0, b, 0), new(0, -b, 0), new(0, 0, c), new(0, 0, -c)];
        var flipped = new RigidTransform(Rotation3.FromAxisAngle(new Vec3(0, 0, 1), Math.PI), Vec3.Zero);
        Assert.Equal(((4 * a) + (4 * b)) / 6, PoseErrorMetrics.Add(points, flipped, RigidTransform.Identity), 12);
        Assert.Equal(0, PoseErrorMetrics.AddS(points, flipped, RigidTransform.Identity), 12);

        // The box surface is symmetric the same way.
        Assert.Equal(0, PoseErrorMetrics.AddS(Box, flipped, RigidTransform.Identity), 12);
        Assert.True(PoseErrorMetrics.Add(Box, flipped, RigidTransform.Identity) > 0.02);
    }

    [Fact]
    public void Box_surface_points_lie_on_the_faces_and_reach_the_corners()
    {
        var size = new Vec3(0.1, 0.06, 0.04);
        Assert.All(Box, p => Assert.True(
            Math.Abs(Math.Abs(p.X) - 0.05) < 1e-12 || Math.Abs(Math.Abs(p.Y) - 0.03) < 1e-12 || Math.Abs(Math.Abs(p.Z) - 0.02) < 1e-12));
        Assert.Contains(size / 2, Box);
        Assert.Contains(-(size / 2), Box);
    }

    [Fact]
    public void Distribution_interpolates_ranks_and_is_empty_without_values()
    {
        var d = Distribution.Of([5, 1, 4, 2, 3]);
        Assert.Equal((5, 3.0, 4.6, 5.0), (d.Count, d.Median!.Value, Math.Round(d.P90!.Value, 12), d.Max!.Value));
        var empty = Distribution.Of([]);
        Assert.Equal((0, null, null, null), (empty.Count, empty.Median, empty.P90, empty.Max));
    }
}
