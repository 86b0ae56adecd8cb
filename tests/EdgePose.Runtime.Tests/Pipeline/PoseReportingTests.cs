using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Runtime.Pipeline;
using EdgePose.Core.Poses;

namespace EdgePose.Runtime.Tests.Pipeline;

public sealed class PoseReportingTests
{
    private static readonly RigidTransform CameraFromObject = new(Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(170, 5, 40)), new Vec3(0.1, 0.05, 0.7));
    private static readonly RigidTransform ObjectFromGrasp = new(Rotation3.FromAxisAngle(new Vec3(1, 0, 0), Math.PI), new Vec3(0, 0, 0.02));
    private static readonly RigidTransform BaseFromCamera = new(Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(-90, 0, -90)), new Vec3(0.4, 0, 0.9));

    [Fact]
    public void Reported_pose_is_the_grasp_frame_in_the_base_frame_and_converts_back()
    {
        var target = new TargetObject("box", "box", 1, new Vec3(0.1, 0.06, 0.04), TargetObject.DefaultBox.Marker, ObjectFromGrasp);
        var workcell = new Workcell(CameraIntrinsics.Default640x480, [target], BaseFromCamera);
        var estimate = Estimate(CameraFromObject);

        var reported = PoseReporting.ToReported(estimate, target, workcell);

        var expected = BaseFromCamera * CameraFromObject * ObjectFromGrasp;
        Assert.True(reported.Pose.PositionErrorTo(expected) < 1e-12);
        Assert.True(reported.Pose.AngleErrorDegreesTo(expected) < 1e-9);
        Assert.Equal(PoseFrame.Base, PoseReporting.ReportedFrame(workcell));
        var back = PoseReporting.ToCameraObject(reported.Pose, target, workcell);
        Assert.True(back.PositionErrorTo(CameraFromObject) < 1e-12);
    }

    [Fact]
    public void Covariance_stays_symmetric_and_a_lever_arm_adds_translation_uncertainty()
    {
        var lever = new TargetObject("box", "box", 1, new Vec3(0.1, 0.06, 0.04), TargetObject.DefaultBox.Marker, new RigidTransform(Rotation3.Identity, new Vec3(0.2, 0, 0)));
        var workcell = new Workcell(CameraIntrinsics.Default640x480, [lever], BaseFromCamera);
        var estimate = Estimate(CameraFromObject);

        var reported = PoseReporting.ToReported(estimate, lever, workcell);

        for (var a = 0; a < 6; a++)
        {
            for (var b = 0; b < 6; b++)
            {
                Assert.Equal(reported.Covariance[(a * 6) + b], reported.Covariance[(b * 6) + a], 12);
            }
        }

        var translationTrace = (double[] c) => c[0] + c[7] + c[14];
        Assert.True(translationTrace([.. reported.Covariance]) > translationTrace([.. estimate.Covariance]));
        // A rotation of the frame leaves the trace of each block unchanged.
        var rotationTrace = (double[] c) => c[21] + c[28] + c[35];
        Assert.Equal(rotationTrace([.. estimate.Covariance]), rotationTrace([.. reported.Covariance]), 12);
    }

    private static PoseEstimate Estimate(RigidTransform pose)
    {
        var camera = CameraIntrinsics.Default640x480;
        var target = TargetObject.DefaultBox;
        var pixels = PnpSolver.Project(target.Keypoints, camera, pose);
        var noisy = pixels.Select((p, i) => new OpenCvSharp.Point2d(p.X + (0.3 * Math.Sin(i)), p.Y + (0.3 * Math.Cos(i)))).ToArray();
        var (rms, covariance) = PnpSolver.Evaluate(target.Keypoints, noisy, camera, pose);
        return new PoseEstimate(pose, covariance, rms, 0.9, false);
    }
}
