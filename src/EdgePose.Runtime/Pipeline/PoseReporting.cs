using System.Collections.Immutable;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;

namespace EdgePose.Runtime.Pipeline;

/// <summary>Turns T_camera_object into what is reported: the grasp frame when configured, the base frame when calibrated.</summary>
internal static class PoseReporting
{
    public static PoseFrame ReportedFrame(Workcell workcell) => workcell.CameraToBase is null ? PoseFrame.Camera : PoseFrame.Base;

    public static PoseEstimate ToReported(PoseEstimate inCamera, TargetObject target, Workcell workcell)
    {
        var pose = inCamera.Pose;
        var covariance = inCamera.Covariance;
        if (target.GraspOffset is { } grasp)
        {
            // First order: the grasp point moves with the object's rotation, so translation picks up −[R·g]× δr.
            var lever = pose.Rotation * grasp.Translation;
            covariance = Propagate(covariance, lever);
            pose *= grasp;
        }

        if (workcell.CameraToBase is { } baseFromCamera)
        {
            pose = baseFromCamera * pose;
            covariance = PnpSolver.RotateCovariance(covariance, baseFromCamera.Rotation);
        }

        return inCamera with { Pose = pose, Covariance = covariance };
    }

    /// <summary>Undoes <see cref="ToReported"/> on the pose: T_camera_object, e.g. to draw what was reported.</summary>
    public static RigidTransform ToCameraObject(RigidTransform reported, TargetObject target, Workcell workcell)
    {
        var pose = workcell.CameraToBase is { } baseFromCamera ? baseFromCamera.Inverse() * reported : reported;
        return target.GraspOffset is { } grasp ? pose * grasp.Inverse() : pose;
    }

    /// <summary>Σ' = J Σ Jᵀ with J = [[I, −[l]×], [0, I]].</summary>
    private static ImmutableArray<double> Propagate(ImmutableArray<double> covariance, Vec3 lever)
    {
        var j = new double[6, 6];
        for (var i = 0; i < 6; i++)
        {
            j[i, i] = 1;
        }

        // −[l]× = [[0, l_z, −l_y], [−l_z, 0, l_x], [l_y, −l_x, 0]]
        j[0, 4] = lever.Z;
        j[0, 5] = -lever.Y;
        j[1, 3] = -lever.Z;
        j[1, 5] = lever.X;
        j[2, 3] = lever.Y;
        j[2, 4] = -lever.X;

        return PnpSolver.TransformCovariance(covariance, j);
    }
}
