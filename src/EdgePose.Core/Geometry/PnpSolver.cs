using System.Collections.Immutable;
using EdgePose.Core.Objects;
using OpenCvSharp;

namespace EdgePose.Core.Geometry;

/// <summary>A PnP solution: T_camera_points, its reprojection error and covariance.</summary>
/// <param name="RmsReprojectionErrorPx">RMS distance between the points' projections and their image points, each weighted as in the solve.</param>
public sealed record PnpSolution(RigidTransform Pose, double RmsReprojectionErrorPx, ImmutableArray<double> Covariance);

/// <summary>SolvePnP plus what the grasp controller needs beyond the pose: reprojection error and a 6×6 covariance.</summary>
/// <remarks>OpenCV finds the first pose; refinement, projection and the covariance are managed code (<see cref="CameraModel"/>).</remarks>
public static class PnpSolver
{
    /// <summary>
    /// Below this pixel noise the covariance would claim more certainty than any real detector delivers
    /// (exact synthetic projections give zero residuals).
    /// </summary>
    public const double MinimumPixelSigma = 0.25;

    /// <summary>
    /// The live path's solve, all in managed code: EPnP for a closed-form start (<see cref="Epnp"/>), then
    /// Levenberg–Marquardt on the reprojection error from it. Allocates nothing but the result.
    /// </summary>
    /// <param name="weights">
    /// Each point's weight in the refinement and the covariance, in proportion to the inverse variance of its image
    /// point (only ratios matter); null weighs all alike. The closed-form start weighs all alike either way.
    /// </param>
    public static PnpSolution? SolveEpnpRefined(
        IReadOnlyList<Vec3> objectPoints, IReadOnlyList<Point2d> imagePoints, CameraIntrinsics camera, IReadOnlyList<double>? weights = null)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(objectPoints.Count, imagePoints.Count, nameof(imagePoints));
        if (!PointWeights.TryCreate(weights, objectPoints.Count, out var pointWeights))
        {
            return null;
        }

        var model = new CameraModel(camera);
        return Epnp.Solve(objectPoints, imagePoints, model) is { } start ? Finish(objectPoints, imagePoints, model, pointWeights, start, refine: true) : null;
    }

    /// <summary>cv::solvePnP with <paramref name="method"/> (from <paramref name="initialGuess"/> where it takes one), evaluated.</summary>
    public static PnpSolution? Solve(
        IReadOnlyList<Vec3> objectPoints,
        IReadOnlyList<Point2d> imagePoints,
        CameraIntrinsics camera,
        SolvePnPMethod method,
        RigidTransform? initialGuess = null)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(objectPoints.Count, imagePoints.Count, nameof(imagePoints));
        if (objectPoints.Count < 4)
        {
            return null;
        }

        using var s = new PnpScratch();
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
        return Finish(objectPoints, imagePoints, new CameraModel(camera), PointWeights.Equal, pose, refine: false);
    }

    /// <summary>
    /// The solution nearest <paramref name="start"/>: Levenberg–Marquardt on the reprojection error from there, with no
    /// closed-form solve first. For a pose already close, such as an earlier solution on nearly the same points.
    /// </summary>
    public static PnpSolution? SolveFrom(IReadOnlyList<Vec3> objectPoints, IReadOnlyList<Point2d> imagePoints, CameraIntrinsics camera, RigidTransform start)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(objectPoints.Count, imagePoints.Count, nameof(imagePoints));
        return objectPoints.Count < 4 ? null : Finish(objectPoints, imagePoints, new CameraModel(camera), PointWeights.Equal, start, refine: true);
    }

    private static PnpSolution? Finish(
        IReadOnlyList<Vec3> objectPoints, IReadOnlyList<Point2d> imagePoints, in CameraModel camera, PointWeights weights, RigidTransform pose, bool refine)
    {
        if (refine)
        {
            pose = Refine(objectPoints, imagePoints, camera, weights, pose);
        }

        if (pose.Translation.Z <= 0 || !double.IsFinite(pose.Translation.Length))
        {
            return null;
        }

        var (rms, covariance) = Evaluate(objectPoints, imagePoints, camera, weights, pose);
        return new PnpSolution(pose, rms, covariance);
    }

    /// <summary>
    /// Levenberg–Marquardt on the (weighted) reprojection error from <paramref name="start"/>: with equal weights the same
    /// objective as OpenCV's SOLVEPNP_ITERATIVE refinement, in managed code with the rotation updated on the manifold
    /// (R' = exp([δθ]×)·R), so a solve allocates nothing and crosses no native boundary per iteration.
    /// </summary>
    private static RigidTransform Refine(
        IReadOnlyList<Vec3> objectPoints, IReadOnlyList<Point2d> imagePoints, in CameraModel camera, PointWeights weights, RigidTransform start)
    {
        var pose = start;
        var cost = SumOfSquares(objectPoints, imagePoints, camera, weights, pose);
        Span<double> normal = stackalloc double[Symmetric6.Count];
        Span<double> gradient = stackalloc double[Symmetric6.Size];
        Span<double> damped = stackalloc double[Symmetric6.Count];
        Span<double> step = stackalloc double[Symmetric6.Size];
        var lambda = InitialDamping;
        for (var iteration = 0; iteration < MaxIterations && cost > 0; iteration++)
        {
            NormalEquations(objectPoints, imagePoints, camera, weights, pose, normal, gradient);
            var improved = false;
            var converged = false;
            while (!improved && lambda <= MaxDamping)
            {
                normal.CopyTo(damped);
                for (var i = 0; i < Symmetric6.Size; i++)
                {
                    // Marquardt's scaling: damp each parameter by its own curvature (metres and radians differ in scale).
                    damped[(i * Symmetric6.Size) + i] *= 1 + lambda;
                    step[i] = -gradient[i];
                }

                if (Symmetric6.TrySolve(damped, step))
                {
                    var candidate = new RigidTransform(
                        Rotation3.FromRodrigues(new Vec3(step[3], step[4], step[5])) * pose.Rotation,
                        pose.Translation + new Vec3(step[0], step[1], step[2]));
                    var candidateCost = SumOfSquares(objectPoints, imagePoints, camera, weights, candidate);
                    if (candidateCost < cost)
                    {
                        converged = cost - candidateCost <= ConvergedCostDecrease * cost || StepNorm(step) <= ConvergedStep;
                        (pose, cost, improved) = (candidate, candidateCost, true);
                        lambda = Math.Max(lambda / 10, MinDamping);
                        break;
                    }
                }

                lambda *= 10;
            }

            if (!improved || converged)
            {
                break;
            }
        }

        return pose;
    }

    private const int MaxIterations = 50;
    private const double InitialDamping = 1e-3;
    private const double MinDamping = 1e-12;
    private const double MaxDamping = 1e10;

    // Relative decrease of the squared error, and step length (metres and radians), below which a step changes nothing
    // a grasp could notice; OpenCV stops at a relative parameter change of FLT_EPSILON (1.2e-7), looser than both.
    private const double ConvergedCostDecrease = 1e-12;
    private const double ConvergedStep = 1e-10;

    private static double StepNorm(ReadOnlySpan<double> step)
    {
        var sum = 0.0;
        foreach (var value in step)
        {
            sum += value * value;
        }

        return Math.Sqrt(sum);
    }

    private static double SumOfSquares(
        IReadOnlyList<Vec3> objectPoints, IReadOnlyList<Point2d> imagePoints, in CameraModel camera, PointWeights weights, RigidTransform pose)
    {
        var sum = 0.0;
        for (var i = 0; i < objectPoints.Count; i++)
        {
            var (u, v) = camera.Project(pose.Apply(objectPoints[i]));
            var (du, dv) = (u - imagePoints[i].X, v - imagePoints[i].Y);
            sum += weights[i] * ((du * du) + (dv * dv));
        }

        return double.IsFinite(sum) ? sum : double.PositiveInfinity;
    }

    /// <summary>
    /// JᵀWJ and JᵀWr of the pixel residuals r, with J taken with respect to (δt, δθ) where the pose moves as
    /// t' = t + δt, R' = exp([δθ]×)·R: the parametrisation of the reported covariance, so it needs no change of variables.
    /// An empty <paramref name="gradient"/> skips JᵀWr (the covariance needs only JᵀWJ).
    /// </summary>
    private static void NormalEquations(
        IReadOnlyList<Vec3> objectPoints, IReadOnlyList<Point2d> imagePoints, in CameraModel camera, PointWeights weights, RigidTransform pose,
        Span<double> normal, Span<double> gradient)
    {
        normal.Clear();
        gradient.Clear();
        var withGradient = !gradient.IsEmpty;
        Span<double> dPixel = stackalloc double[6];
        Span<double> row = stackalloc double[Symmetric6.Size];
        for (var i = 0; i < objectPoints.Count; i++)
        {
            var rotated = pose.Rotation * objectPoints[i];
            var (u, v) = camera.ProjectWithDerivative(rotated + pose.Translation, dPixel);
            for (var axis = 0; axis < 2; axis++)
            {
                // d(pixel)/dδt = D, d(pixel)/dδθ = D·(−[R·X]×), with D = d(pixel)/d(point in camera).
                var (dx, dy, dz) = (dPixel[3 * axis], dPixel[(3 * axis) + 1], dPixel[(3 * axis) + 2]);
                row[0] = dx;
                row[1] = dy;
                row[2] = dz;
                row[3] = (dz * rotated.Y) - (dy * rotated.Z);
                row[4] = (dx * rotated.Z) - (dz * rotated.X);
                row[5] = (dy * rotated.X) - (dx * rotated.Y);
                var weight = weights[i];
                var residual = axis == 0 ? u - imagePoints[i].X : v - imagePoints[i].Y;
                for (var a = 0; a < Symmetric6.Size; a++)
                {
                    var weighted = weight * row[a];
                    if (withGradient)
                    {
                        gradient[a] += weighted * residual;
                    }

                    for (var b = 0; b < Symmetric6.Size; b++)
                    {
                        normal[(a * Symmetric6.Size) + b] += weighted * row[b];
                    }
                }
            }
        }
    }

    /// <summary>
    /// RMS reprojection error of <paramref name="pose"/> and its covariance, Σ = σ²(JᵀJ)⁻¹ with J the projection Jacobian
    /// w.r.t. (t, δθ) — the rotation perturbed about the reference frame's axes, R' = exp([δθ]×)·R, as ROS and
    /// PoseReporting read it — and σ² the residual variance (2N − 6 degrees of freedom). Evaluating at any frame's pose
    /// (object, grasp) with the points expressed in that frame gives that frame's covariance.
    /// </summary>
    public static (double RmsPx, ImmutableArray<double> Covariance) Evaluate(
        IReadOnlyList<Vec3> objectPoints, IReadOnlyList<Point2d> imagePoints, CameraIntrinsics camera, RigidTransform pose) =>
        Evaluate(objectPoints, imagePoints, new CameraModel(camera), PointWeights.Equal, pose);

    /// <summary>
    /// As the public overload, weighted: Σ = σ²(JᵀWJ)⁻¹ with σ² = Σwr² / (2N − 6) and the weights scaled to a mean of 1,
    /// so σ is a pixel error whichever scale the caller's weights have, and <see cref="MinimumPixelSigma"/> bounds it as
    /// it bounds the unweighted one.
    /// </summary>
    private static (double RmsPx, ImmutableArray<double> Covariance) Evaluate(
        IReadOnlyList<Vec3> objectPoints, IReadOnlyList<Point2d> imagePoints, in CameraModel camera, PointWeights weights, RigidTransform pose)
    {
        var n = objectPoints.Count;
        var sumSquares = 0.0;
        for (var i = 0; i < n; i++)
        {
            var (u, v) = camera.Project(pose.Apply(objectPoints[i]));
            var (dx, dy) = (u - imagePoints[i].X, v - imagePoints[i].Y);
            sumSquares += weights[i] * ((dx * dx) + (dy * dy));
        }

        var rms = Math.Sqrt(sumSquares / n);
        var dof = Math.Max(1, (2 * n) - 6);
        var sigmaSquared = Math.Max(sumSquares / dof, MinimumPixelSigma * MinimumPixelSigma);

        Span<double> information = stackalloc double[Symmetric6.Count];
        NormalEquations(objectPoints, imagePoints, camera, weights, pose, information, []);
        var covariance = new double[Symmetric6.Count];
        if (!Symmetric6.TryInvert(information, covariance, MinimumConditionRatio))
        {
            // Degenerate geometry: the pose is unconstrained along some direction; say so instead of inventing a number.
            Array.Fill(covariance, double.PositiveInfinity);
            return (rms, [.. covariance]);
        }

        for (var i = 0; i < covariance.Length; i++)
        {
            covariance[i] *= sigmaSquared;
        }

        return (rms, [.. covariance]);
    }

    // Smallest over largest eigenvalue of JᵀJ below which a direction counts as unconstrained.
    private const double MinimumConditionRatio = 1e-12;

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

    public static Point2d[] Project(IReadOnlyList<Vec3> objectPoints, CameraIntrinsics camera, RigidTransform pose)
    {
        var model = new CameraModel(camera);
        var result = new Point2d[objectPoints.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var (u, v) = model.Project(pose.Apply(objectPoints[i]));
            result[i] = new Point2d(u, v);
        }

        return result;
    }

    /// <summary>Per-point weights scaled to a mean of 1 (the caller's list is read, never copied), or all 1.</summary>
    private readonly struct PointWeights
    {
        private readonly IReadOnlyList<double>? _weights;
        private readonly double _scale;

        private PointWeights(IReadOnlyList<double>? weights, double scale) => (_weights, _scale) = (weights, scale);

        public static PointWeights Equal => default;

        public double this[int index] => _weights is null ? 1 : _weights[index] * _scale;

        /// <summary>False when the weights cannot weigh anything: negative, not finite, or all zero.</summary>
        public static bool TryCreate(IReadOnlyList<double>? weights, int count, out PointWeights pointWeights)
        {
            pointWeights = Equal;
            if (weights is null)
            {
                return true;
            }

            ArgumentOutOfRangeException.ThrowIfNotEqual(weights.Count, count, nameof(weights));
            var sum = 0.0;
            for (var i = 0; i < count; i++)
            {
                if (!(weights[i] >= 0) || !double.IsFinite(weights[i]))
                {
                    return false;
                }

                sum += weights[i];
            }

            if (!(sum > 0))
            {
                return false;
            }

            pointWeights = new PointWeights(weights, count / sum);
            return true;
        }
    }
}
