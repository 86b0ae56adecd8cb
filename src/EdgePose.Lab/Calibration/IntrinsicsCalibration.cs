using EdgePose.Core.Objects;
using OpenCvSharp;

namespace EdgePose.Lab.Calibration;

/// <summary>Which of OpenCV's distortion coefficients (k1, k2, p1, p2, k3) the calibration estimates; the rest stay 0.</summary>
internal enum DistortionModel
{
    /// <summary>k1, k2, p1, p2: ordinary lenses. k3 stays 0: estimated from a few views it trades off against the focal length.</summary>
    Standard,
    /// <summary>k1, k2, p1, p2 and k3: wide-angle lenses whose outer image bends visibly; needs many views reaching the corners.</summary>
    WideAngle,
    /// <summary>A pure pinhole (all coefficients 0): lenses known to be distortion-free or already rectified.</summary>
    None,
}

/// <summary>One board image's share of the calibration: its file and its RMS reprojection error under the result.</summary>
internal sealed record ViewResidual(string Image, int Corners, double RmsPx);

/// <summary>Intrinsics with OpenCV's distortion model (k1, k2, p1, p2, k3), the overall RMS reprojection error and each view's.</summary>
internal sealed record IntrinsicsResult(CameraIntrinsics Camera, double RmsPx, IReadOnlyList<ViewResidual> Views);

/// <summary>cv::calibrateCamera over the board views of a set of same-sized images.</summary>
internal static class IntrinsicsCalibration
{
    /// <summary>Fewer views leave focal length, principal point and distortion trading off against each other.</summary>
    public const int MinimumViews = 5;

    /// <exception cref="InvalidDataException">Too few views with the board.</exception>
    public static IntrinsicsResult Calibrate(IReadOnlyList<(string Image, BoardView View)> views, Size imageSize, DistortionModel model)
    {
        if (views.Count < MinimumViews)
        {
            throw new InvalidDataException(
                $"the board was found in {views.Count} image(s); calibration needs at least {MinimumViews} (15-25 recommended, tilted and spread over the whole image).");
        }

        var cameraMatrix = new double[3, 3];
        var distortion = new double[5];
        var rms = Cv2.CalibrateCamera(
            views.Select(v => v.View.BoardPointsF()),
            views.Select(v => v.View.ImagePoints),
            imageSize,
            cameraMatrix,
            distortion,
            out var rotations,
            out var translations,
            model switch
            {
                DistortionModel.WideAngle => CalibrationFlags.None,
                DistortionModel.None => CalibrationFlags.FixK1 | CalibrationFlags.FixK2 | CalibrationFlags.FixK3 | CalibrationFlags.ZeroTangentDist,
                _ => CalibrationFlags.FixK3,
            });
        var camera = new CameraIntrinsics(cameraMatrix[0, 0], cameraMatrix[1, 1], cameraMatrix[0, 2], cameraMatrix[1, 2], [.. distortion], imageSize.Width, imageSize.Height);
        var residuals = views.Select((v, i) => new ViewResidual(
            v.Image, v.View.Ids.Length, ViewRms(v.View, camera, rotations[i], translations[i]))).ToArray();
        return new IntrinsicsResult(camera, rms, residuals);
    }

    private static double ViewRms(BoardView view, CameraIntrinsics camera, Vec3d rotation, Vec3d translation)
    {
        using var objectPoints = Mat.FromArray(view.BoardPointsF());
        using var rvec = Mat.FromArray(new[] { rotation.Item0, rotation.Item1, rotation.Item2 });
        using var tvec = Mat.FromArray(new[] { translation.Item0, translation.Item1, translation.Item2 });
        using var k = Mat.FromArray(camera.CameraMatrix());
        using var d = Mat.FromArray(camera.DistortionArray());
        using var projected = new Mat();
        Cv2.ProjectPoints(objectPoints, rvec, tvec, k, d, projected);
        projected.GetArray(out Point2f[] points);
        var sum = points.Zip(view.ImagePoints, (p, q) => ((p.X - q.X) * (p.X - q.X)) + ((p.Y - q.Y) * (p.Y - q.Y))).Sum();
        return Math.Sqrt(sum / points.Length);
    }
}
