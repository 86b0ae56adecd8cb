using System.Collections.Immutable;
using EdgePose.Core.Objects;
using OpenCvSharp;

namespace EdgePose.Core.Geometry;

/// <summary>A PnP solution: T_camera_points, its reprojection error and covariance.</summary>
/// <param name="LargestResidualPoint">Index of the point that reprojects farthest from its image point (the first of equals).</param>
public sealed record PnpSolution(RigidTransform Pose, double RmsReprojectionErrorPx, ImmutableArray<double> Covariance, int LargestResidualPoint);

/// <summary>SolvePnP plus what the grasp controller needs beyond the pose: reprojection error and a 6×6 covariance.</summary>
public static class PnpSolver
{
    /// <summary>
    /// Below this pixel noise the covariance would claim more certainty than any real detector delivers
    /// (exact synthetic projections give zero residuals).
    /// </summary>
    public const double MinimumPixelSigma = 0.25;

    /// <param name="refineIteratively">After <paramref name="method"/>, refine with the iterative solver from its result; the covariance is computed once, at the end.</param>
    /// <param name="scratch">Native buffers to reuse (a hot path passes its own); null allocates them for this call.</param>
    public static PnpSolution? Solve(
        IReadOnlyList<Vec3> objectPoints,
        IReadOnlyList<Point2d> imagePoints,
        CameraIntrinsics camera,
        SolvePnPMethod method,
        RigidTransform? initialGuess = null,
        bool refineIteratively = false,
        PnpScratch? scratch = null)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(objectPoints.Count, imagePoints.Count, nameof(imagePoints));
        if (objectPoints.Count < 4)
        {
            return null;
        }

        using var owned = scratch is null ? new PnpScratch() : null;
        var s = scratch ?? owned!;
        s.Load(objectPoints, camera);
        s.LoadImagePoints(imagePoints);
        var useGuess = initialGuess is not null;
        if (initialGuess is { } guess)
        {
            PnpScratch.SetVector(s.Rvec, guess.Rotation.ToRodrigues());
            PnpScratch.SetVector(s.Tvec, guess.Translation);
        }
        else
        {
            // OpenCV leaves the outputs untouched when it finds no solution: NaN tells that apart from a reused buffer's last pose.
            PnpScratch.SetVector(s.Rvec, new Vec3(double.NaN, double.NaN, double.NaN));
            PnpScratch.SetVector(s.Tvec, new Vec3(double.NaN, double.NaN, double.NaN));
        }

        try
        {
            Cv2.SolvePnP(s.ObjectPoints, s.ImagePoints, s.CameraMatrix, s.Distortion, s.Rvec, s.Tvec, useGuess, method);
            if (refineIteratively && s.HasFiniteSolution())
            {
                // Closed-form solvers (EPnP) seed; Levenberg-Marquardt then minimises the reprojection error itself.
                Cv2.SolvePnP(s.ObjectPoints, s.ImagePoints, s.CameraMatrix, s.Distortion, s.Rvec, s.Tvec, useExtrinsicGuess: true, SolvePnPMethod.Iterative);
            }
        }
        catch (OpenCVException)
        {
            // Degenerate point sets (collinear, coincident) make OpenCV assert; that is "no pose", not a crash.
            return null;
        }

        if (!s.HasFiniteSolution())
        {
            return null;
        }

        var pose = RigidTransform.FromRodrigues(PnpScratch.GetVector(s.Rvec), PnpScratch.GetVector(s.Tvec));
        if (pose.Translation.Z <= 0 || !double.IsFinite(pose.Translation.Length))
        {
            return null;
        }

        var (rms, covariance, largestResidual) = Evaluate(objectPoints, imagePoints, camera, pose, s, pointsLoaded: true);
        return new PnpSolution(pose, rms, covariance, largestResidual);
    }

    /// <summary>
    /// RMS reprojection error of <paramref name="pose"/> and its covariance, Σ = σ²(JᵀJ)⁻¹ with J the projection Jacobian
    /// w.r.t. (t, rvec) and σ² the residual variance (2N − 6 degrees of freedom). Evaluating at any frame's pose
    /// (object, grasp) with the points expressed in that frame gives that frame's covariance.
    /// </summary>
    public static (double RmsPx, ImmutableArray<double> Covariance) Evaluate(
        IReadOnlyList<Vec3> objectPoints, IReadOnlyList<Point2d> imagePoints, CameraIntrinsics camera, RigidTransform pose, PnpScratch? scratch = null)
    {
        var (rms, covariance, _) = Evaluate(objectPoints, imagePoints, camera, pose, scratch, pointsLoaded: false);
        return (rms, covariance);
    }

    private static (double RmsPx, ImmutableArray<double> Covariance, int LargestResidualPoint) Evaluate(
        IReadOnlyList<Vec3> objectPoints, IReadOnlyList<Point2d> imagePoints, CameraIntrinsics camera, RigidTransform pose, PnpScratch? scratch, bool pointsLoaded)
    {
        var n = objectPoints.Count;
        using var owned = scratch is null ? new PnpScratch() : null;
        var s = scratch ?? owned!;
        if (!pointsLoaded)
        {
            s.Load(objectPoints, camera);
        }

        var (projected, jacobian) = (s.Projected, s.Jacobian);
        s.ProjectLoaded(pose, withJacobian: true);

        var sumSquares = 0.0;
        var (largest, largestSquare) = (0, 0.0);
        for (var i = 0; i < n; i++)
        {
            var p = projected.At<Point2d>(i);
            var dx = p.X - imagePoints[i].X;
            var dy = p.Y - imagePoints[i].Y;
            var square = (dx * dx) + (dy * dy);
            sumSquares += square;
            if (square > largestSquare)
            {
                (largest, largestSquare) = (i, square);
            }
        }

        var rms = Math.Sqrt(sumSquares / n);
        var dof = Math.Max(1, (2 * n) - 6);
        var sigmaSquared = Math.Max(sumSquares / dof, MinimumPixelSigma * MinimumPixelSigma);

        // OpenCV's Jacobian columns are (rvec, tvec, f, c, distortion); reorder to (t, r) as ROS covariances are.
        Span<double> jtj = stackalloc double[36];
        Span<double> j = stackalloc double[6];
        for (var row = 0; row < 2 * n; row++)
        {
            for (var c = 0; c < 3; c++)
            {
                j[c] = jacobian.At<double>(row, c + 3);
                j[c + 3] = jacobian.At<double>(row, c);
            }

            for (var a = 0; a < 6; a++)
            {
                for (var b = 0; b < 6; b++)
                {
                    jtj[(a * 6) + b] += j[a] * j[b];
                }
            }
        }

        var (information, inverse) = (s.Information, s.Inverse);
        for (var a = 0; a < 6; a++)
        {
            for (var b = 0; b < 6; b++)
            {
                information.At<double>(a, b) = jtj[(a * 6) + b];
            }
        }

        var covariance = new double[36];
        if (Cv2.Invert(information, inverse, DecompTypes.SVD) > 1e-12)
        {
            for (var a = 0; a < 6; a++)
            {
                for (var b = 0; b < 6; b++)
                {
                    covariance[(a * 6) + b] = inverse.At<double>(a, b) * sigmaSquared;
                }
            }
        }
        else
        {
            // Degenerate geometry: the pose is unconstrained along some direction; say so instead of inventing a number.
            Array.Fill(covariance, double.PositiveInfinity);
            return (rms, [.. covariance], largest);
        }

        // OpenCV differentiates by the rotation vector; the reported block (as ROS and PoseReporting read it) perturbs
        // the rotation about the reference frame's axes, R' = exp([δθ]×)·R, and δθ = J_l(rvec)·δrvec.
        return (rms, TransformCovariance([.. covariance], RotationVectorToFrameAxes(pose.Rotation.ToRodrigues())), largest);
    }

    /// <summary>blockdiag(I, J_l(φ)), with J_l = I + (1 − cos θ)/θ²·[φ]× + (θ − sin θ)/θ³·[φ]×² the left Jacobian of SO(3).</summary>
    private static double[,] RotationVectorToFrameAxes(Vec3 phi)
    {
        var theta = phi.Length;
        var theta2 = theta * theta;
        // The closed forms cancel catastrophically near θ = 0; their series are exact to double precision there.
        var (a, b) = theta < 1e-3
            ? (0.5 - (theta2 / 24), (1.0 / 6) - (theta2 / 120))
            : ((1 - Math.Cos(theta)) / theta2, (theta - Math.Sin(theta)) / (theta2 * theta));
        double[,] skew = { { 0, -phi.Z, phi.Y }, { phi.Z, 0, -phi.X }, { -phi.Y, phi.X, 0 } };
        var jacobian = new double[6, 6];
        for (var r = 0; r < 3; r++)
        {
            jacobian[r, r] = 1;
            for (var c = 0; c < 3; c++)
            {
                var skewSquared = (skew[r, 0] * skew[0, c]) + (skew[r, 1] * skew[1, c]) + (skew[r, 2] * skew[2, c]);
                jacobian[r + 3, c + 3] = (r == c ? 1 : 0) + (a * skew[r, c]) + (b * skewSquared);
            }
        }

        return jacobian;
    }

    /// <summary>Re-expresses a covariance after a fixed change of reference frame (T_base_camera · pose): both blocks rotate.</summary>
    public static ImmutableArray<double> RotateCovariance(ImmutableArray<double> covariance, Rotation3 rotation)
    {
        var b = new double[6, 6];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                b[i, j] = rotation[i, j];
                b[i + 3, j + 3] = rotation[i, j];
            }
        }

        return TransformCovariance(covariance, b);
    }

    /// <summary>First-order propagation through a linear map: Σ' = J Σ Jᵀ.</summary>
    public static ImmutableArray<double> TransformCovariance(ImmutableArray<double> covariance, double[,] jacobian)
    {
        var result = new double[36];
        for (var a = 0; a < 6; a++)
        {
            for (var b = 0; b < 6; b++)
            {
                var sum = 0.0;
                for (var p = 0; p < 6; p++)
                {
                    for (var q = 0; q < 6; q++)
                    {
                        sum += jacobian[a, p] * covariance[(p * 6) + q] * jacobian[b, q];
                    }
                }

                result[(a * 6) + b] = sum;
            }
        }

        return [.. result];
    }

    /// <param name="scratch">Native buffers to reuse (a hot path passes its own); null allocates them for this call.</param>
    public static Point2d[] Project(IReadOnlyList<Vec3> objectPoints, CameraIntrinsics camera, RigidTransform pose, PnpScratch? scratch = null)
    {
        using var owned = scratch is null ? new PnpScratch() : null;
        var s = scratch ?? owned!;
        s.Load(objectPoints, camera);
        s.ProjectLoaded(pose, withJacobian: false);
        var result = new Point2d[objectPoints.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = s.Projected.At<Point2d>(i);
        }

        return result;
    }
}
