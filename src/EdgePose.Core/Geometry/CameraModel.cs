using EdgePose.Core.Objects;

namespace EdgePose.Core.Geometry;

/// <summary>
/// cv::projectPoints's camera model in managed code: pinhole, radial (k1–k6, rational), tangential (p1, p2), thin prism
/// (s1–s4) and tilted sensor (τx, τy), for every coefficient count <see cref="CameraIntrinsics"/> accepts. PnP refinement
/// projects each point dozens of times per solve; a native call per projection cost more than the arithmetic.
/// </summary>
internal readonly struct CameraModel
{
    private const int CoefficientCount = 14;

    private readonly double _fx, _fy, _cx, _cy;
    private readonly double _k1, _k2, _p1, _p2, _k3, _k4, _k5, _k6, _s1, _s2, _s3, _s4;

    // Tilt projection matrix (row-major); identity, and skipped, when τx = τy = 0.
    private readonly double _t00, _t01, _t02, _t10, _t11, _t12, _t20, _t21, _t22;
    private readonly bool _tilted;

    public CameraModel(CameraIntrinsics camera)
    {
        (_fx, _fy, _cx, _cy) = (camera.Fx, camera.Fy, camera.Cx, camera.Cy);
        Span<double> k = stackalloc double[CoefficientCount];
        k.Clear();
        if (!camera.Distortion.IsDefaultOrEmpty)
        {
            camera.Distortion.AsSpan().CopyTo(k);
        }

        (_k1, _k2, _p1, _p2, _k3, _k4, _k5, _k6) = (k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]);
        (_s1, _s2, _s3, _s4) = (k[8], k[9], k[10], k[11]);
        _tilted = k[12] != 0 || k[13] != 0;
        (_t00, _t01, _t02, _t10, _t11, _t12, _t20, _t21, _t22) = TiltMatrix(k[12], k[13]);
    }

    /// <summary>Pixel of a point given in the camera frame, exactly as cv::projectPoints computes it.</summary>
    public (double U, double V) Project(Vec3 inCamera)
    {
        var inverseZ = inCamera.Z != 0 ? 1 / inCamera.Z : 1;
        var x = inCamera.X * inverseZ;
        var y = inCamera.Y * inverseZ;
        var r2 = (x * x) + (y * y);
        var r4 = r2 * r2;
        var r6 = r4 * r2;
        var a1 = 2 * x * y;
        var a2 = r2 + (2 * x * x);
        var a3 = r2 + (2 * y * y);
        var radial = (1 + (_k1 * r2) + (_k2 * r4) + (_k3 * r6)) / (1 + (_k4 * r2) + (_k5 * r4) + (_k6 * r6));
        var xd = (x * radial) + (_p1 * a1) + (_p2 * a2) + (_s1 * r2) + (_s2 * r4);
        var yd = (y * radial) + (_p1 * a3) + (_p2 * a1) + (_s3 * r2) + (_s4 * r4);
        if (_tilted)
        {
            var w = (_t20 * xd) + (_t21 * yd) + _t22;
            var inverseW = w != 0 ? 1 / w : 1;
            (xd, yd) = (((_t00 * xd) + (_t01 * yd) + _t02) * inverseW, ((_t10 * xd) + (_t11 * yd) + _t12) * inverseW);
        }

        return ((xd * _fx) + _cx, (yd * _fy) + _cy);
    }

    /// <summary>
    /// The pixel and its derivatives with respect to the camera-frame point (row-major 2×3). Central differences of
    /// <see cref="Project"/>, so one function serves every distortion model: with a step of 1e-6 of the depth, the
    /// truncation error is ~1e-12 of the derivative, far below anything a pose or covariance resolves.
    /// </summary>
    public (double U, double V) ProjectWithDerivative(Vec3 inCamera, Span<double> dPixelByPoint)
    {
        var step = 1e-6 * Math.Max(Math.Abs(inCamera.Z), 1e-3);
        for (var axis = 0; axis < 3; axis++)
        {
            var offset = axis switch { 0 => new Vec3(step, 0, 0), 1 => new Vec3(0, step, 0), _ => new Vec3(0, 0, step) };
            var (uPlus, vPlus) = Project(inCamera + offset);
            var (uMinus, vMinus) = Project(inCamera - offset);
            dPixelByPoint[axis] = (uPlus - uMinus) / (2 * step);
            dPixelByPoint[3 + axis] = (vPlus - vMinus) / (2 * step);
        }

        return Project(inCamera);
    }

    public double Fx => _fx;

    public double Fy => _fy;

    public double Cx => _cx;

    public double Cy => _cy;

    /// <summary>Whether any distortion coefficient is non-zero: else a pixel maps to the z = 1 plane by the pinhole alone.</summary>
    public bool Distorts => _tilted || _k1 != 0 || _k2 != 0 || _p1 != 0 || _p2 != 0 || _k3 != 0 || _k4 != 0 || _k5 != 0 || _k6 != 0
        || _s1 != 0 || _s2 != 0 || _s3 != 0 || _s4 != 0;

    /// <summary>
    /// The pixel as an ideal pinhole camera with the same focal lengths and centre would have seen it (what
    /// cv::undistortPoints with P = K gives): Gauss–Newton on <see cref="Project"/>, from the distorted point itself.
    /// </summary>
    public (double U, double V) Undistort(double u, double v)
    {
        if (!Distorts)
        {
            return (u, v);
        }

        var (x, y) = ((u - _cx) / _fx, (v - _cy) / _fy);
        Span<double> d = stackalloc double[6];
        for (var iteration = 0; iteration < 20; iteration++)
        {
            var (pu, pv) = ProjectWithDerivative(new Vec3(x, y, 1), d);
            var (ru, rv) = (pu - u, pv - v);
            if ((ru * ru) + (rv * rv) < 1e-20)
            {
                break;
            }

            // 2×2 Newton step on (x, y) at z = 1: the z column of the derivative plays no part.
            var determinant = (d[0] * d[4]) - (d[1] * d[3]);
            if (determinant == 0 || !double.IsFinite(determinant))
            {
                break;
            }

            x -= ((d[4] * ru) - (d[1] * rv)) / determinant;
            y -= ((d[0] * rv) - (d[3] * ru)) / determinant;
        }

        return ((x * _fx) + _cx, (y * _fy) + _cy);
    }

    /// <summary>cv::computeTiltProjectionMatrix(τx, τy).</summary>
    private static (double, double, double, double, double, double, double, double, double) TiltMatrix(double tauX, double tauY)
    {
        var (cx, sx, cy, sy) = (Math.Cos(tauX), Math.Sin(tauX), Math.Cos(tauY), Math.Sin(tauY));

        // R = Ry(τy)·Rx(τx), with OpenCV's sign convention; then the projection that puts the tilted plane back at z = 1.
        double[,] rotation =
        {
            { cy, sy * sx, -sy * cx },
            { 0, cx, sx },
            { sy, -cy * sx, cy * cx },
        };
        var r22 = rotation[2, 2];
        double[,] project = { { r22, 0, -rotation[0, 2] }, { 0, r22, -rotation[1, 2] }, { 0, 0, 1 } };
        var m = new double[3, 3];
        for (var r = 0; r < 3; r++)
        {
            for (var c = 0; c < 3; c++)
            {
                m[r, c] = (project[r, 0] * rotation[0, c]) + (project[r, 1] * rotation[1, c]) + (project[r, 2] * rotation[2, c]);
            }
        }

        return (m[0, 0], m[0, 1], m[0, 2], m[1, 0], m[1, 1], m[1, 2], m[2, 0], m[2, 1], m[2, 2]);
    }
}
