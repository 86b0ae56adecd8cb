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

    [Theory]
    [InlineData(10, -20, 30)]
    [InlineData(170, 5, -80)]
    [InlineData(-120, 60, 150)]
    public void Covariance_perturbs_the_rotation_about_the_reference_frames_axes(double roll, double pitch, double yaw)
    {
        // ROS's PoseWithCovariance and PoseReporting's propagation both read the rotation block as R' = exp([δθ]×)·R
        // (t' = t + δt): σ²(JᵀJ)⁻¹ with J differentiated numerically along exactly those perturbations.
        var camera = CameraIntrinsics.Default640x480;
        var box = TargetObject.DefaultBox;
        var pose = new RigidTransform(Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(roll, pitch, yaw)), new Vec3(0.03, -0.02, 0.5));
        const double h = 1e-6;
        var columns = new double[6][];
        for (var p = 0; p < 6; p++)
        {
            double[] Moved(double step)
            {
                var d = new double[6];
                d[p] = step;
                var perturbed = new RigidTransform(
                    Rotation3.FromRodrigues(new Vec3(d[3], d[4], d[5])) * pose.Rotation, pose.Translation + new Vec3(d[0], d[1], d[2]));
                return [.. PnpSolver.Project(box.Keypoints, camera, perturbed).SelectMany(q => new[] { q.X, q.Y })];
            }

            var plus = Moved(h);
            var minus = Moved(-h);
            columns[p] = [.. plus.Select((v, i) => (v - minus[i]) / (2 * h))];
        }

        var information = new double[6, 6];
        for (var a = 0; a < 6; a++)
        {
            for (var b = 0; b < 6; b++)
            {
                information[a, b] = columns[a].Zip(columns[b], (x, y) => x * y).Sum();
            }
        }

        using var informationMat = Mat.FromArray(information);
        using var inverse = new Mat();
        Cv2.Invert(informationMat, inverse, DecompTypes.SVD);
        using var expected = new Mat();
        inverse.ConvertTo(expected, MatType.CV_64F, PnpSolver.MinimumPixelSigma * PnpSolver.MinimumPixelSigma);
        var actual = PnpSolver.Evaluate(box.Keypoints, PnpSolver.Project(box.Keypoints, camera, pose), camera, pose).Covariance;
        for (var a = 0; a < 6; a++)
        {
            for (var b = 0; b < 6; b++)
            {
                var scale = Math.Sqrt(expected.At<double>(a, a) * expected.At<double>(b, b));
                Assert.True(
                    Math.Abs(actual[(a * 6) + b] - expected.At<double>(a, b)) < 1e-4 * scale,
                    $"covariance[{a},{b}] = {actual[(a * 6) + b]:G6}, expected {expected.At<double>(a, b):G6}");
            }
        }
    }

    [Fact]
    public void A_point_weighted_down_bends_the_pose_less_than_with_equal_weights()
    {
        var camera = CameraIntrinsics.Default640x480;
        var box = TargetObject.DefaultBox;
        var truth = new RigidTransform(Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(20, -35, 60)), new Vec3(0.02, 0.01, 0.6));
        var image = PnpSolver.Project(box.Keypoints, camera, truth).ToArray();
        image[2] = new Point2d(image[2].X + 6, image[2].Y - 4);
        var weights = Enumerable.Repeat(1.0, image.Length).ToArray();
        weights[2] = 0.01;

        var equal = PnpSolver.SolveEpnpRefined(box.Keypoints, image, camera);
        var weighted = PnpSolver.SolveEpnpRefined(box.Keypoints, image, camera, weights);

        Assert.NotNull(equal);
        Assert.NotNull(weighted);
        Assert.True(
            weighted.Pose.PositionErrorTo(truth) < equal.Pose.PositionErrorTo(truth) / 10,
            $"position error {weighted.Pose.PositionErrorTo(truth):G3} m weighted, {equal.Pose.PositionErrorTo(truth):G3} m equal");
        // The residual is weighted too: the misplaced point hardly counts, so neither its error nor the covariance balloons.
        Assert.True(weighted.RmsReprojectionErrorPx < equal.RmsReprojectionErrorPx / 3);
        Assert.True(weighted.Covariance[14] < equal.Covariance[14]);
        AssertValidCovariance(weighted.Covariance);
    }

    [Fact]
    public void Only_the_weights_ratios_count()
    {
        var camera = CameraIntrinsics.Default640x480;
        var box = TargetObject.DefaultBox;
        var truth = new RigidTransform(Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(-10, 50, 120)), new Vec3(-0.03, 0.02, 0.8));
        var random = new Random(7);
        var image = PnpSolver.Project(box.Keypoints, camera, truth).Select(p => new Point2d(p.X + random.NextDouble() - 0.5, p.Y + random.NextDouble() - 0.5)).ToArray();
        var weights = box.Keypoints.Select((_, i) => 1.0 + i).ToArray();

        var small = PnpSolver.SolveEpnpRefined(box.Keypoints, image, camera, weights);
        var large = PnpSolver.SolveEpnpRefined(box.Keypoints, image, camera, [.. weights.Select(w => w * 1e4)]);
        var equal = PnpSolver.SolveEpnpRefined(box.Keypoints, image, camera, [.. weights.Select(_ => 3.0)]);
        var unweighted = PnpSolver.SolveEpnpRefined(box.Keypoints, image, camera);

        Assert.NotNull(small);
        Assert.NotNull(large);
        Assert.True(small.Pose.PositionErrorTo(large.Pose) < 1e-9);
        Assert.Equal(small.RmsReprojectionErrorPx, large.RmsReprojectionErrorPx, 9);
        Assert.All(small.Covariance.Zip(large.Covariance), c => Assert.Equal(c.First, c.Second, 1e-9 * Math.Abs(c.First) + 1e-18));
        Assert.NotNull(equal);
        Assert.NotNull(unweighted);
        Assert.True(equal.Pose.PositionErrorTo(unweighted.Pose) < 1e-9);
        Assert.Equal(equal.RmsReprojectionErrorPx, unweighted.RmsReprojectionErrorPx, 9);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Weights_that_weigh_nothing_or_are_not_numbers_give_no_pose(double bad)
    {
        var camera = CameraIntrinsics.Default640x480;
        var box = TargetObject.DefaultBox;
        var truth = new RigidTransform(Rotation3.Identity, new Vec3(0, 0, 0.5));
        var image = PnpSolver.Project(box.Keypoints, camera, truth);
        var weights = box.Keypoints.Select(_ => bad == 0 ? 0.0 : 1.0).ToArray();
        weights[0] = bad;

        Assert.Null(PnpSolver.SolveEpnpRefined(box.Keypoints, image, camera, weights));
        Assert.Throws<ArgumentOutOfRangeException>(() => PnpSolver.SolveEpnpRefined(box.Keypoints, image, camera, [1.0, 2.0]));
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
