using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using OpenCvSharp;

namespace EdgePose.Runtime.Tests.Geometry;

public sealed class EpnpTests
{
    private static readonly TargetObject Box = TargetObject.DefaultBox;

    /// <summary>The box's keypoints, 6 keypoints of mixed faces, and the 4 corners of one face (coplanar).</summary>
    public static TheoryData<int[], bool> PointSets => new()
    {
        { Enumerable.Range(0, TargetObject.KeypointCount).ToArray(), false },
        { new[] { 0, 2, 3, 5, 6, 8 }, false },
        { new[] { 0, 1, 2, 3 }, true },
    };

    [Theory]
    [MemberData(nameof(PointSets))]
    public void Finds_the_pose_cv_solvePnP_EPnP_finds_on_noisy_points_and_never_a_worse_one_when_coplanar(int[] subset, bool coplanar)
    {
        var camera = CameraIntrinsics.Default640x480;
        var noise = new Random(11);
        for (var trial = 0; trial < 20; trial++)
        {
            var truth = RandomPose(noise);
            var points = subset.Select(i => Box.Keypoints[i]).ToArray();
            var image = PnpSolver.Project(points, camera, truth).Select(p => new Point2d(p.X + noise.NextDouble() - 0.5, p.Y + noise.NextDouble() - 0.5)).ToArray();

            var opencv = OpenCvEpnp(points, image, camera);
            if (coplanar)
            {
                // Four coplanar points leave the fourth control point's share of the null space undetermined, and the closed-form
                // starts differ beyond rounding; OpenCV's even lands in the mirrored minimum at times (131° off on trial 4 here,
                // at 4.6 px RMS). What must hold is that the refined solve is at least as good as OpenCV's EPnP refined.
                var refined = PnpSolver.SolveEpnpRefined(points, image, camera);
                var reference = PnpSolver.Solve(points, image, camera, SolvePnPMethod.Iterative, initialGuess: opencv)!;
                Assert.NotNull(refined);
                Assert.True(
                    refined.RmsReprojectionErrorPx <= reference.RmsReprojectionErrorPx + 1e-6,
                    $"trial {trial}: {refined.RmsReprojectionErrorPx:0.000} px RMS, OpenCV's EPnP refined {reference.RmsReprojectionErrorPx:0.000} px");
                continue;
            }

            var managed = Epnp.Solve(points, image, new CameraModel(camera));
            Assert.NotNull(managed);
            Assert.True(
                managed.Value.PositionErrorTo(opencv) < 1e-6 && managed.Value.AngleErrorDegreesTo(opencv) < 1e-4,
                $"trial {trial}: managed differs from OpenCV by {managed.Value.PositionErrorTo(opencv) * 1000:0.000} mm, {managed.Value.AngleErrorDegreesTo(opencv):0.0000}°");
        }
    }

    [Theory]
    [MemberData(nameof(CameraModelTests.DistortionModels), MemberType = typeof(CameraModelTests))]
    public void The_refined_solve_gives_back_the_pose_through_every_distortion_model(double[] distortion)
    {
        var camera = CameraIntrinsics.Default640x480 with { Distortion = [.. distortion] };
        var random = new Random(3);
        for (var trial = 0; trial < 10; trial++)
        {
            var truth = RandomPose(random);
            var solution = PnpSolver.SolveEpnpRefined(Box.Keypoints, PnpSolver.Project(Box.Keypoints, camera, truth), camera);

            Assert.NotNull(solution);
            Assert.True(solution.Pose.PositionErrorTo(truth) < 1e-7, $"trial {trial}: position error {solution.Pose.PositionErrorTo(truth)} m");
            Assert.True(solution.Pose.AngleErrorDegreesTo(truth) < 1e-5, $"trial {trial}: angle error {solution.Pose.AngleErrorDegreesTo(truth)}°");
            Assert.True(solution.RmsReprojectionErrorPx < 1e-6);
        }
    }

    [Fact]
    public void Points_on_a_line_give_no_pose()
    {
        Vec3[] points = [new(-0.05, 0, 0), new(-0.02, 0, 0), new(0.01, 0, 0), new(0.05, 0, 0)];
        var camera = CameraIntrinsics.Default640x480;
        var pose = new RigidTransform(Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(10, 20, 30)), new Vec3(0, 0, 0.5));

        Assert.Null(PnpSolver.SolveEpnpRefined(points, PnpSolver.Project(points, camera, pose), camera));
    }

    private static RigidTransform RandomPose(Random random) => new(
        Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(random.Next(-180, 180), random.Next(-80, 80), random.Next(-180, 180))),
        new Vec3((random.NextDouble() - 0.5) * 0.2, (random.NextDouble() - 0.5) * 0.15, 0.3 + (random.NextDouble() * 0.7)));

    private static RigidTransform OpenCvEpnp(Vec3[] points, Point2d[] image, CameraIntrinsics camera)
    {
        using var objectPoints = Mat.FromArray(points.Select(p => new Point3d(p.X, p.Y, p.Z)).ToArray());
        using var imagePoints = Mat.FromArray(image);
        using var cameraMatrix = Mat.FromArray(new double[,] { { camera.Fx, 0, camera.Cx }, { 0, camera.Fy, camera.Cy }, { 0, 0, 1 } });
        using var rvec = new Mat();
        using var tvec = new Mat();
        Cv2.SolvePnP(objectPoints, imagePoints, cameraMatrix, new Mat(), rvec, tvec, useExtrinsicGuess: false, SolvePnPMethod.EPNP);
        return RigidTransform.FromRodrigues(new Vec3(rvec.At<double>(0), rvec.At<double>(1), rvec.At<double>(2)), new Vec3(tvec.At<double>(0), tvec.At<double>(1), tvec.At<double>(2)));
    }
}
