using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using OpenCvSharp;

namespace EdgePose.Runtime.Tests.Geometry;

public sealed class CameraModelTests
{
    // One set of coefficients per count CameraIntrinsics accepts: Brown (4, 5), rational (8), thin prism (12), tilt (14).
    public static TheoryData<double[]> DistortionModels => new()
    {
        Array.Empty<double>(),
        new[] { -0.21, 0.08, 0.0012, -0.0009 },
        new[] { -0.21, 0.08, 0.0012, -0.0009, -0.02 },
        new[] { -0.21, 0.08, 0.0012, -0.0009, -0.02, 0.11, -0.03, 0.01 },
        new[] { -0.21, 0.08, 0.0012, -0.0009, -0.02, 0.11, -0.03, 0.01, 0.002, -0.001, 0.0015, 0.0007 },
        new[] { -0.21, 0.08, 0.0012, -0.0009, -0.02, 0.11, -0.03, 0.01, 0.002, -0.001, 0.0015, 0.0007, 0.01, -0.02 },
    };

    [Theory]
    [MemberData(nameof(DistortionModels))]
    public void Projects_exactly_as_cv_projectPoints(double[] distortion)
    {
        var camera = CameraIntrinsics.Default640x480 with { Distortion = [.. distortion] };
        var points = TargetObject.DefaultBox.Keypoints;
        var pose = new RigidTransform(Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(25, -40, 70)), new Vec3(0.08, -0.05, 0.45));

        using var objectPoints = Mat.FromArray(points.Select(p => new Point3d(p.X, p.Y, p.Z)).ToArray());
        using var rvec = Mat.FromArray(pose.Rotation.ToRodrigues().ToArray());
        using var tvec = Mat.FromArray(pose.Translation.ToArray());
        using var cameraMatrix = Mat.FromArray(new double[,] { { camera.Fx, 0, camera.Cx }, { 0, camera.Fy, camera.Cy }, { 0, 0, 1 } });
        using var coefficients = distortion.Length == 0 ? new Mat() : Mat.FromArray(distortion);
        using var expected = new Mat();
        Cv2.ProjectPoints(objectPoints, rvec, tvec, cameraMatrix, coefficients, expected);

        var actual = PnpSolver.Project(points, camera, pose);
        for (var i = 0; i < actual.Length; i++)
        {
            var reference = expected.At<Point2d>(i);
            Assert.True(
                Math.Abs(actual[i].X - reference.X) < 1e-9 && Math.Abs(actual[i].Y - reference.Y) < 1e-9,
                $"point {i}: managed {actual[i]}, OpenCV {reference}");
        }
    }

    [Theory]
    [MemberData(nameof(DistortionModels))]
    public void Refinement_reaches_the_same_pose_as_OpenCVs_iterative_solver(double[] distortion)
    {
        var camera = CameraIntrinsics.Default640x480 with { Distortion = [.. distortion] };
        var points = TargetObject.DefaultBox.Keypoints;
        var truth = new RigidTransform(Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(-30, 15, 120)), new Vec3(-0.04, 0.03, 0.6));
        var noise = new Random(7);
        var image = PnpSolver.Project(points, camera, truth).Select(p => new Point2d(p.X + noise.NextDouble() - 0.5, p.Y + noise.NextDouble() - 0.5)).ToArray();
        var start = new RigidTransform(Rotation3.FromRodrigues(new Vec3(0.05, -0.04, 0.03)) * truth.Rotation, truth.Translation + new Vec3(0.01, -0.01, 0.03));

        var managed = PnpSolver.SolveFrom(points, image, camera, start);
        var opencv = PnpSolver.Solve(points, image, camera, SolvePnPMethod.Iterative, initialGuess: start);

        Assert.NotNull(managed);
        Assert.NotNull(opencv);
        Assert.True(managed.Pose.PositionErrorTo(opencv.Pose) < 1e-6, $"position differs by {managed.Pose.PositionErrorTo(opencv.Pose)} m");
        Assert.True(managed.Pose.AngleErrorDegreesTo(opencv.Pose) < 1e-4, $"angle differs by {managed.Pose.AngleErrorDegreesTo(opencv.Pose)}°");
        Assert.True(managed.RmsReprojectionErrorPx <= opencv.RmsReprojectionErrorPx + 1e-9);
    }

    [Fact]
    public void Collinear_points_leave_the_pose_without_a_finite_covariance()
    {
        // Four points on a line seen from the side constrain nothing about the rotation around that line.
        var camera = CameraIntrinsics.Default640x480;
        Vec3[] points = [new(-0.05, 0, 0), new(-0.02, 0, 0), new(0.01, 0, 0), new(0.05, 0, 0)];
        var pose = new RigidTransform(Rotation3.Identity, new Vec3(0, 0, 0.5));

        var (_, covariance) = PnpSolver.Evaluate(points, PnpSolver.Project(points, camera, pose), camera, pose);

        Assert.All(covariance, c => Assert.Equal(double.PositiveInfinity, c));
    }
}
