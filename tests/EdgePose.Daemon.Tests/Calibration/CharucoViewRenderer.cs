using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Lab.Calibration;
using OpenCvSharp;

namespace EdgePose.Daemon.Tests.Calibration;

/// <summary>
/// What a pinhole camera with known intrinsics (no distortion) sees of a flat ChArUco board at a known pose T_camera_board:
/// OpenCV's own board image warped by the plane's homography K·[r1 r2 t]·A (A: board-image pixel → board metres), drawn at
/// twice the size and area-averaged down (anti-aliasing), over a grey background with Gaussian pixel noise.
/// </summary>
internal static class CharucoViewRenderer
{
    private const int PixelsPerSquare = 120;
    private const int Supersampling = 2;

    public static Mat Render(CharucoBoardSpec spec, CameraIntrinsics camera, RigidTransform boardToCamera, double noiseSigma, int seed)
    {
        using var board = spec.Draw(PixelsPerSquare);
        var margin = PixelsPerSquare / 2;
        var metresPerPixel = spec.SquareLengthMeters / PixelsPerSquare;
        // Pixel i of the board image covers [i, i+1) and OpenCV puts its centre at i, so the board's outer corner
        // (the board frame's origin) is at (margin − 0.5, margin − 0.5).
        var boardFromImage = new double[,] { { metresPerPixel, 0, -(margin - 0.5) * metresPerPixel }, { 0, metresPerPixel, -(margin - 0.5) * metresPerPixel }, { 0, 0, 1 } };
        var large = camera.ScaledTo(camera.Width * Supersampling, camera.Height * Supersampling);
        var (r, t) = (boardToCamera.Rotation, boardToCamera.Translation);
        var plane = new double[,] { { r[0, 0], r[0, 1], t.X }, { r[1, 0], r[1, 1], t.Y }, { r[2, 0], r[2, 1], t.Z } };
        var homography = Multiply(Multiply(large.CameraMatrix(), plane), boardFromImage);

        using var h = Mat.FromArray(homography);
        using var warped = new Mat();
        Cv2.WarpPerspective(board, warped, h, new Size(large.Width, large.Height), InterpolationFlags.Linear, BorderTypes.Constant, new Scalar(110));
        using var small = new Mat();
        Cv2.Resize(warped, small, new Size(camera.Width, camera.Height), interpolation: InterpolationFlags.Area);
        using var noise = new Mat(small.Size(), MatType.CV_16SC1);
        Cv2.SetTheRNG((ulong)seed);
        Cv2.Randn(noise, new Scalar(0), new Scalar(noiseSigma));
        using var noisy = new Mat();
        small.ConvertTo(noisy, MatType.CV_16SC1);
        Cv2.Add(noisy, noise, noisy);
        using var gray = new Mat();
        noisy.ConvertTo(gray, MatType.CV_8UC1);
        var image = new Mat();
        Cv2.CvtColor(gray, image, ColorConversionCodes.GRAY2BGR);
        return image;
    }

    /// <summary>T_camera_board with the board's centre at <paramref name="centreInCamera"/>, tilted by roll/pitch/yaw (degrees) from facing the camera.</summary>
    public static RigidTransform Facing(CharucoBoardSpec spec, Vec3 centreInCamera, double rollDegrees, double pitchDegrees, double yawDegrees)
    {
        var rotation = Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(rollDegrees, pitchDegrees, yawDegrees));
        var centre = new Vec3(spec.SquaresX * spec.SquareLengthMeters / 2, spec.SquaresY * spec.SquareLengthMeters / 2, 0);
        return new RigidTransform(rotation, centreInCamera - (rotation * centre));
    }

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        var product = new double[3, 3];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                for (var k = 0; k < 3; k++)
                {
                    product[i, j] += a[i, k] * b[k, j];
                }
            }
        }

        return product;
    }
}
