using System.Collections.Immutable;
using EdgePose.Runtime.Geometry;
using OpenCvSharp;

namespace EdgePose.Runtime.Objects;

/// <summary>Pinhole camera with OpenCV distortion, valid for images of <see cref="Width"/>×<see cref="Height"/>.</summary>
public sealed record CameraIntrinsics(double Fx, double Fy, double Cx, double Cy, ImmutableArray<double> Distortion, int Width, int Height)
{
    public static CameraIntrinsics Default640x480 { get; } = new(600, 600, 320, 240, [], 640, 480);

    /// <summary>What OpenCV's projection and PnP accept: none, or 4, 5, 8, 12 or 14 coefficients; any other count fails every frame.</summary>
    public const string SupportedDistortionCounts = "0 (none), 4, 5, 8, 12 or 14";

    /// <summary>Whether OpenCV accepts these coefficients: a supported count, all finite.</summary>
    public static bool IsSupportedDistortion(IReadOnlyCollection<double> coefficients) =>
        coefficients.Count is 0 or 4 or 5 or 8 or 12 or 14 && coefficients.All(double.IsFinite);

    /// <summary>The same camera for an image resized to <paramref name="width"/>×<paramref name="height"/> (pixel-centre convention).</summary>
    public CameraIntrinsics ScaledTo(int width, int height)
    {
        if (width == Width && height == Height)
        {
            return this;
        }

        var sx = (double)width / Width;
        var sy = (double)height / Height;
        return new CameraIntrinsics(Fx * sx, Fy * sy, ((Cx + 0.5) * sx) - 0.5, ((Cy + 0.5) * sy) - 0.5, Distortion, width, height);
    }

    public double[,] CameraMatrix() => new double[,] { { Fx, 0, Cx }, { 0, Fy, Cy }, { 0, 0, 1 } };

    public double[] DistortionArray() => Distortion.IsDefaultOrEmpty ? [] : [.. Distortion];

    /// <summary>Projects a camera-frame point (no distortion); for rendering and tests.</summary>
    public Point2d Project(Vec3 pointInCamera) =>
        new((Fx * pointInCamera.X / pointInCamera.Z) + Cx, (Fy * pointInCamera.Y / pointInCamera.Z) + Cy);

    public static CameraIntrinsics FromOptions(CameraOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.CalibrationFile))
        {
            return CameraCalibrationFile.Load(options.CalibrationFile);
        }

        return new CameraIntrinsics(options.Fx, options.Fy, options.Cx, options.Cy, [.. options.Distortion ?? []], options.ImageWidth, options.ImageHeight);
    }
}
