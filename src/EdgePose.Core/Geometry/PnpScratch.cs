using EdgePose.Core.Objects;
using OpenCvSharp;

namespace EdgePose.Core.Geometry;

/// <summary>The native matrices one cv::solvePnP call in <see cref="PnpSolver"/> needs.</summary>
internal sealed class PnpScratch : IDisposable
{
    internal Mat ObjectPoints { get; } = new();

    internal Mat ImagePoints { get; } = new();

    internal Mat CameraMatrix { get; } = new(3, 3, MatType.CV_64FC1, Scalar.All(0));

    private readonly Mat _noDistortion = new();
    private readonly Mat _distortionCoefficients = new();

    /// <summary>The loaded camera's coefficients, or an empty matrix for none: that is how OpenCV spells it.</summary>
    internal Mat Distortion { get; private set; }

    internal Mat Rvec { get; } = new(3, 1, MatType.CV_64FC1);

    internal Mat Tvec { get; } = new(3, 1, MatType.CV_64FC1);

    public PnpScratch() => Distortion = _noDistortion;

    public void Dispose()
    {
        foreach (var mat in new[] { ObjectPoints, ImagePoints, CameraMatrix, _noDistortion, _distortionCoefficients, Rvec, Tvec })
        {
            mat.Dispose();
        }
    }

    /// <summary>The model points and the camera, as cv::solvePnP reads them.</summary>
    internal void Load(IReadOnlyList<Vec3> objectPoints, CameraIntrinsics camera)
    {
        ObjectPoints.Create(objectPoints.Count, 1, MatType.CV_64FC3);
        for (var i = 0; i < objectPoints.Count; i++)
        {
            ObjectPoints.Set(i, new Vec3d(objectPoints[i].X, objectPoints[i].Y, objectPoints[i].Z));
        }

        CameraMatrix.At<double>(0, 0) = camera.Fx;
        CameraMatrix.At<double>(0, 2) = camera.Cx;
        CameraMatrix.At<double>(1, 1) = camera.Fy;
        CameraMatrix.At<double>(1, 2) = camera.Cy;
        CameraMatrix.At<double>(2, 2) = 1;
        if (camera.Distortion.IsDefaultOrEmpty)
        {
            Distortion = _noDistortion;
            return;
        }

        _distortionCoefficients.Create(camera.Distortion.Length, 1, MatType.CV_64FC1);
        for (var i = 0; i < camera.Distortion.Length; i++)
        {
            _distortionCoefficients.At<double>(i) = camera.Distortion[i];
        }

        Distortion = _distortionCoefficients;
    }

    internal void LoadImagePoints(IReadOnlyList<Point2d> imagePoints)
    {
        ImagePoints.Create(imagePoints.Count, 1, MatType.CV_64FC2);
        for (var i = 0; i < imagePoints.Count; i++)
        {
            ImagePoints.Set(i, imagePoints[i]);
        }
    }

    internal bool HasFiniteSolution() =>
        Rvec.Total() == 3 && Tvec.Total() == 3 && double.IsFinite(GetVector(Rvec).Length) && double.IsFinite(GetVector(Tvec).Length);

    internal static void SetVector(Mat mat, Vec3 value)
    {
        mat.Create(3, 1, MatType.CV_64FC1);
        mat.At<double>(0) = value.X;
        mat.At<double>(1) = value.Y;
        mat.At<double>(2) = value.Z;
    }

    internal static Vec3 GetVector(Mat mat) => mat.Type() == MatType.CV_64FC1
        ? new Vec3(mat.At<double>(0), mat.At<double>(1), mat.At<double>(2))
        : new Vec3(mat.At<float>(0), mat.At<float>(1), mat.At<float>(2));
}
