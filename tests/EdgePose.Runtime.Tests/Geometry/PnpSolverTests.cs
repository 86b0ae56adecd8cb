using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using OpenCvSharp;

namespace EdgePose.Runtime.Tests.Geometry;

public sealed class PnpSolverTests
{
    [Theory]
    [InlineData(0.3, 10, -20, 30)]
    [InlineData(0.6, 170, 5, -80)]
    [InlineData(1.0, -45, 60, 120)]
    public void Exact_keypoint_projections_give_back_the_pose(double distance, double roll, double pitch, double yaw)
    {
        var camera = CameraIntrinsics.Default640x480;
        var box = TargetObject.DefaultBox;
        var truth = new RigidTransform(Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(roll, pitch, yaw)), new Vec3(0.03, -0.02, distance));
        var image = PnpSolver.Project(box.Keypoints, camera, truth);

        var solution = PnpSolver.Solve(box.Keypoints, image, camera, SolvePnPMethod.Iterative, initialGuess: null)
            ?? PnpSolver.Solve(box.Keypoints, image, camera, SolvePnPMethod.SQPNP);

        Assert.NotNull(solution);
        Assert.True(solution.Pose.PositionErrorTo(truth) < 1e-4, $"position error {solution.Pose.PositionErrorTo(truth)}");
        Assert.True(solution.Pose.AngleErrorDegreesTo(truth) < 0.01, $"angle error {solution.Pose.AngleErrorDegreesTo(truth)}");
        Assert.True(solution.RmsReprojectionErrorPx < 1e-3);
        AssertValidCovariance(solution.Covariance);
    }

    [Fact]
    public void Sqpnp_recovers_the_pose_without_a_guess()
    {
        var camera = CameraIntrinsics.Default640x480;
        var box = TargetObject.DefaultBox;
        var truth = new RigidTransform(Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(100, -30, 10)), new Vec3(-0.05, 0.04, 0.5));
        var solution = PnpSolver.Solve(box.Keypoints, PnpSolver.Project(box.Keypoints, camera, truth), camera, SolvePnPMethod.SQPNP);

        Assert.NotNull(solution);
        Assert.True(solution.Pose.PositionErrorTo(truth) < 1e-4);
        Assert.True(solution.Pose.AngleErrorDegreesTo(truth) < 0.01);
    }

    [Fact]
    public void Covariance_grows_with_distance()
    {
        var camera = CameraIntrinsics.Default640x480;
        var box = TargetObject.DefaultBox;
        double DepthVariance(double z)
        {
            var pose = new RigidTransform(Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(20, 30, 0)), new Vec3(0, 0, z));
            return PnpSolver.Evaluate(box.Keypoints, PnpSolver.Project(box.Keypoints, camera, pose), camera, pose).Covariance[14];
        }

        Assert.True(DepthVariance(1.0) > DepthVariance(0.3));
    }

    internal static void AssertValidCovariance(System.Collections.Immutable.ImmutableArray<double> covariance)
    {
        Assert.Equal(36, covariance.Length);
        Assert.All(covariance, c => Assert.True(double.IsFinite(c)));
        for (var a = 0; a < 6; a++)
        {
            Assert.True(covariance[(a * 6) + a] > 0);
            for (var b = 0; b < 6; b++)
            {
                Assert.Equal(covariance[(a * 6) + b], covariance[(b * 6) + a], 12);
            }
        }

        var square = new double[6, 6];
        for (var a = 0; a < 6; a++)
        {
            for (var b = 0; b < 6; b++)
            {
                square[a, b] = covariance[(a * 6) + b];
            }
        }

        using var matrix = Mat.FromArray(square);
        using var eigenvalues = new Mat();
        using var eigenvectors = new Mat();
        Cv2.Eigen(matrix, eigenvalues, eigenvectors);
        Assert.True(eigenvalues.At<double>(5) > 0, "covariance is not positive definite");
    }
}
