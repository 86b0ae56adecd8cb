using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using OpenCvSharp;

namespace EdgePose.Lab.Calibration;

/// <summary>
/// T_base_camera and how well it explains the data: with the board rigid on the gripper, T_gripper_board computed back from
/// each stop must be one transform; its spread over the stops (largest deviation from their mean) is the residual.
/// </summary>
internal sealed record HandEyeResult(RigidTransform CameraToBase, int Stops, double MaxResidualMeters, double MaxResidualDegrees);

/// <summary>
/// Eye-to-hand hand–eye calibration (camera fixed in the cell, board on the gripper) with cv::calibrateHandEye. OpenCV solves
/// the eye-in-hand problem; given T_gripper_base (the inverse robot poses) instead of T_base_gripper it returns T_base_camera.
/// </summary>
internal static class HandEyeCalibration
{
    /// <summary>Two motions between three stops fix the rotation at all; ten or more spread ones make it reliable.</summary>
    public const int MinimumStops = 3;

    /// <param name="stops">Each robot stop with the board's pose in the camera frame, T_camera_board, from PnP.</param>
    /// <exception cref="InvalidDataException">Too few stops.</exception>
    public static HandEyeResult Calibrate(IReadOnlyList<(RigidTransform GripperToBase, RigidTransform BoardToCamera)> stops, HandEyeCalibrationMethod method)
    {
        if (stops.Count < MinimumStops)
        {
            throw new InvalidDataException(
                $"the board was found at {stops.Count} robot pose(s); hand-eye calibration needs at least {MinimumStops} (10-20 recommended, with rotations about different axes).");
        }

        var baseToGripper = stops.Select(s => s.GripperToBase.Inverse()).ToArray();
        var mats = new List<Mat>();
        Mat Track(Mat mat)
        {
            mats.Add(mat);
            return mat;
        }

        try
        {
            using var rotation = new Mat();
            using var translation = new Mat();
            Cv2.CalibrateHandEye(
                [.. baseToGripper.Select(t => Track(Mat.FromArray(t.Rotation.ToMatrix())))],
                [.. baseToGripper.Select(t => Track(Mat.FromArray(t.Translation.ToArray())))],
                [.. stops.Select(s => Track(Mat.FromArray(s.BoardToCamera.Rotation.ToMatrix())))],
                [.. stops.Select(s => Track(Mat.FromArray(s.BoardToCamera.Translation.ToArray())))],
                rotation,
                translation,
                method);
            rotation.GetArray(out double[] r);
            translation.GetArray(out double[] t);
            var cameraToBase = new RigidTransform(Rotation3.FromRowMajor(r), Vec3.FromArray(t));
            var (meters, degrees) = Residual(stops, cameraToBase);
            return new HandEyeResult(cameraToBase, stops.Count, meters, degrees);
        }
        finally
        {
            mats.ForEach(m => m.Dispose());
        }
    }

    /// <summary>T_camera_board by PnP on the board corners, with the calibrated intrinsics; null when PnP finds no pose.</summary>
    public static RigidTransform? BoardToCamera(BoardView view, CameraIntrinsics camera) =>
        PnpSolver.Solve(view.BoardPoints, view.ImagePointsD(), camera, SolvePnPMethod.Iterative)?.Pose;

    private static (double Meters, double Degrees) Residual(IReadOnlyList<(RigidTransform GripperToBase, RigidTransform BoardToCamera)> stops, RigidTransform cameraToBase)
    {
        var boardToGripper = stops.Select(s => s.GripperToBase.Inverse() * cameraToBase * s.BoardToCamera).ToArray();
        var meanTranslation = boardToGripper.Aggregate(Vec3.Zero, (sum, t) => sum + t.Translation) / boardToGripper.Length;
        var meanRotation = MeanRotation(boardToGripper, boardToGripper[0].Rotation);
        return (
            boardToGripper.Max(t => t.Translation.DistanceTo(meanTranslation)),
            boardToGripper.Max(t => Rotation3.AngleBetweenDegrees(t.Rotation, meanRotation)));
    }

    /// <summary>The chordal mean of nearby rotations: quaternions on <paramref name="reference"/>'s hemisphere, averaged and normalised.</summary>
    private static Rotation3 MeanRotation(IEnumerable<RigidTransform> transforms, Rotation3 reference)
    {
        var r = reference.ToQuaternion();
        var (w, x, y, z) = (0.0, 0.0, 0.0, 0.0);
        foreach (var q in transforms.Select(t => t.Rotation.ToQuaternion()))
        {
            var sign = (q.W * r.W) + (q.X * r.X) + (q.Y * r.Y) + (q.Z * r.Z) < 0 ? -1 : 1;
            (w, x, y, z) = (w + (sign * q.W), x + (sign * q.X), y + (sign * q.Y), z + (sign * q.Z));
        }

        return Rotation3.FromQuaternion(new UnitQuaternion(w, x, y, z));
    }
}
