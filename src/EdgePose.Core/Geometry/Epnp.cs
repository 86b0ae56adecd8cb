using OpenCvSharp;

namespace EdgePose.Core.Geometry;

/// <summary>
/// EPnP (Lepetit, Moreno-Noguer and Fua, IJCV 2009) in managed code, following OpenCV's epnp.cpp step by step: four
/// control points from the object points' principal axes, the camera-frame control points from the null space of M,
/// betas for one, two and three null vectors refined by Gauss–Newton, and the candidate of least reprojection error.
/// It only seeds the Levenberg–Marquardt refinement, which settles the pose; in managed code it allocates nothing and
/// costs a fraction of cv::solvePnP's EPnP (undistortPoints, a 12×12 SVD and their matrix headers) on the live path.
/// </summary>
internal static class Epnp
{
    private const int StackPoints = 64;

    // The six pairs of control points whose distances the betas must reproduce, in epnp.cpp's order.
    private static ReadOnlySpan<int> PairA => [0, 0, 0, 1, 1, 2];

    private static ReadOnlySpan<int> PairB => [1, 2, 3, 2, 3, 3];

    /// <summary>The pose, or null for a degenerate point set (fewer than 4 points, all on a line, or none in front).</summary>
    public static RigidTransform? Solve(IReadOnlyList<Vec3> objectPoints, IReadOnlyList<Point2d> imagePoints, in CameraModel camera)
    {
        var n = objectPoints.Count;
        if (n < 4)
        {
            return null;
        }

        Span<double> alphas = n <= StackPoints ? stackalloc double[4 * StackPoints] : new double[4 * n];
        Span<double> pixels = n <= StackPoints ? stackalloc double[2 * StackPoints] : new double[2 * n];
        Span<double> controls = stackalloc double[12];
        if (!ChooseControlPoints(objectPoints, controls))
        {
            return null;
        }

        BarycentricCoordinates(objectPoints, controls, alphas);

        for (var i = 0; i < n; i++)
        {
            (pixels[2 * i], pixels[(2 * i) + 1]) = camera.Undistort(imagePoints[i].X, imagePoints[i].Y);
        }

        // MᵀM, accumulated row pair by row pair; its eigenvectors of least eigenvalue span the solution.
        Span<double> mtm = stackalloc double[144];
        Span<double> nullSpace = stackalloc double[144];
        Span<double> row = stackalloc double[12];
        mtm.Clear();
        for (var i = 0; i < n; i++)
        {
            for (var axis = 0; axis < 2; axis++)
            {
                var (focal, centre, pixel) = axis == 0 ? (camera.Fx, camera.Cx, pixels[2 * i]) : (camera.Fy, camera.Cy, pixels[(2 * i) + 1]);
                for (var j = 0; j < 4; j++)
                {
                    var alpha = alphas[(4 * i) + j];
                    row[3 * j] = axis == 0 ? alpha * focal : 0;
                    row[(3 * j) + 1] = axis == 0 ? 0 : alpha * focal;
                    row[(3 * j) + 2] = alpha * (centre - pixel);
                }

                for (var r = 0; r < 12; r++)
                {
                    for (var c = 0; c < 12; c++)
                    {
                        mtm[(r * 12) + c] += row[r] * row[c];
                    }
                }
            }
        }

        SymmetricEigen.Decompose(mtm, nullSpace, 12);

        Span<double> l = stackalloc double[60];
        Span<double> rho = stackalloc double[6];
        ComputeL6x10(nullSpace, l);
        for (var p = 0; p < 6; p++)
        {
            rho[p] = DistanceSquared(controls, PairA[p], PairB[p]);
        }

        Span<double> betas = stackalloc double[4];
        RigidTransform? best = null;
        var bestError = double.PositiveInfinity;
        for (var approximation = 1; approximation <= 3; approximation++)
        {
            if (!ApproximateBetas(approximation, l, rho, betas))
            {
                continue;
            }

            GaussNewton(l, rho, betas);
            if (PoseFromBetas(nullSpace, betas, alphas, objectPoints, n) is { } candidate)
            {
                var error = ReprojectionError(candidate, objectPoints, pixels, camera);
                if (error < bestError)
                {
                    (best, bestError) = (candidate, error);
                }
            }
        }

        return best;
    }

    /// <summary>The centroid, then the centroid plus each principal axis scaled to the points' spread along it.</summary>
    private static bool ChooseControlPoints(IReadOnlyList<Vec3> points, Span<double> controls)
    {
        var n = points.Count;
        var centroid = Vec3.Zero;
        foreach (var p in points)
        {
            centroid += p;
        }

        centroid /= n;
        Span<double> scatter = stackalloc double[9];
        Span<double> axes = stackalloc double[9];
        scatter.Clear();
        foreach (var p in points)
        {
            var d = p - centroid;
            Span<double> v = [d.X, d.Y, d.Z];
            for (var r = 0; r < 3; r++)
            {
                for (var c = 0; c < 3; c++)
                {
                    scatter[(r * 3) + c] += v[r] * v[c];
                }
            }
        }

        SymmetricEigen.Decompose(scatter, axes, 3);
        (controls[0], controls[1], controls[2]) = (centroid.X, centroid.Y, centroid.Z);
        for (var i = 1; i < 4; i++)
        {
            var k = Math.Sqrt(Math.Max(scatter[((i - 1) * 3) + (i - 1)], 0) / n);
            for (var c = 0; c < 3; c++)
            {
                controls[(3 * i) + c] = controls[c] + (k * axes[(c * 3) + (i - 1)]);
            }
        }

        // Points all on a line (or one spot) leave a control point on the centroid: no pose from them.
        return scatter[4] > 1e-12 * scatter[0];
    }

    /// <summary>Each point as Σ αⱼ·cⱼ with Σ αⱼ = 1.</summary>
    private static void BarycentricCoordinates(IReadOnlyList<Vec3> points, ReadOnlySpan<double> controls, Span<double> alphas)
    {
        Span<double> basis = stackalloc double[9];
        for (var r = 0; r < 3; r++)
        {
            for (var c = 0; c < 3; c++)
            {
                basis[(r * 3) + c] = controls[(3 * (c + 1)) + r] - controls[r];
            }
        }

        // The pseudo-inverse, as epnp.cpp's SVD inverse: coplanar points put the last control point on the centroid, and
        // their coordinates along it come out zero instead of failing the solve.
        Span<double> inverse = stackalloc double[9];
        Span<double> unit = stackalloc double[3];
        Span<double> column = stackalloc double[3];
        for (var c = 0; c < 3; c++)
        {
            unit.Clear();
            unit[c] = 1;
            SymmetricEigen.SolveLeastSquares(basis, unit, 3, 3, column);
            for (var r = 0; r < 3; r++)
            {
                inverse[(r * 3) + c] = column[r];
            }
        }

        for (var i = 0; i < points.Count; i++)
        {
            Span<double> d = [points[i].X - controls[0], points[i].Y - controls[1], points[i].Z - controls[2]];
            var sum = 0.0;
            for (var j = 1; j < 4; j++)
            {
                var alpha = (inverse[(j - 1) * 3] * d[0]) + (inverse[((j - 1) * 3) + 1] * d[1]) + (inverse[((j - 1) * 3) + 2] * d[2]);
                alphas[(4 * i) + j] = alpha;
                sum += alpha;
            }

            alphas[4 * i] = 1 - sum;
        }
    }

    /// <summary>
    /// For each control-point pair, the squared distance as a quadratic form in the betas: coefficients of β₀², β₀β₁,
    /// β₁², β₀β₂, β₁β₂, β₂², β₀β₃, β₁β₃, β₂β₃, β₃², with null vector k the eigenvector of (k+1)-th least eigenvalue.
    /// </summary>
    private static void ComputeL6x10(ReadOnlySpan<double> nullSpace, Span<double> l)
    {
        Span<double> dv = stackalloc double[4 * 6 * 3];
        for (var k = 0; k < 4; k++)
        {
            var column = 11 - k;
            for (var p = 0; p < 6; p++)
            {
                for (var c = 0; c < 3; c++)
                {
                    dv[(((k * 6) + p) * 3) + c] = nullSpace[(((3 * PairA[p]) + c) * 12) + column] - nullSpace[(((3 * PairB[p]) + c) * 12) + column];
                }
            }
        }

        double Dot(ReadOnlySpan<double> d, int k1, int k2, int p) =>
            (d[((k1 * 6) + p) * 3] * d[((k2 * 6) + p) * 3])
            + (d[(((k1 * 6) + p) * 3) + 1] * d[(((k2 * 6) + p) * 3) + 1])
            + (d[(((k1 * 6) + p) * 3) + 2] * d[(((k2 * 6) + p) * 3) + 2]);

        for (var p = 0; p < 6; p++)
        {
            var r = l.Slice(p * 10, 10);
            r[0] = Dot(dv, 0, 0, p);
            r[1] = 2 * Dot(dv, 0, 1, p);
            r[2] = Dot(dv, 1, 1, p);
            r[3] = 2 * Dot(dv, 0, 2, p);
            r[4] = 2 * Dot(dv, 1, 2, p);
            r[5] = Dot(dv, 2, 2, p);
            r[6] = 2 * Dot(dv, 0, 3, p);
            r[7] = 2 * Dot(dv, 1, 3, p);
            r[8] = 2 * Dot(dv, 2, 3, p);
            r[9] = Dot(dv, 3, 3, p);
        }
    }

    /// <summary>epnp.cpp's find_betas_approx_1, _2 and _3: a linear solve for some products of the betas, then their roots.</summary>
    private static bool ApproximateBetas(int approximation, ReadOnlySpan<double> l, ReadOnlySpan<double> rho, Span<double> betas)
    {
        // Columns of L kept: β₀², β₀β₁, β₀β₂, β₀β₃ | β₀², β₀β₁, β₁² | β₀², β₀β₁, β₁², β₀β₂, β₁β₂.
        ReadOnlySpan<int> columns = approximation switch
        {
            1 => [0, 1, 3, 6],
            2 => [0, 1, 2],
            _ => [0, 1, 2, 3, 4],
        };
        var k = columns.Length;
        Span<double> a = stackalloc double[6 * 5];
        Span<double> b = stackalloc double[5];
        for (var r = 0; r < 6; r++)
        {
            for (var c = 0; c < k; c++)
            {
                a[(r * k) + c] = l[(r * 10) + columns[c]];
            }
        }

        SymmetricEigen.SolveLeastSquares(a[..(6 * k)], rho, 6, k, b);
        betas.Clear();
        if (approximation == 1)
        {
            if (b[0] == 0)
            {
                return false;
            }

            var sign = b[0] < 0 ? -1 : 1;
            betas[0] = Math.Sqrt(sign * b[0]);
            for (var i = 1; i < 4; i++)
            {
                betas[i] = sign * b[i] / betas[0];
            }

            return true;
        }

        betas[0] = Math.Sqrt(Math.Abs(b[0]));
        betas[1] = b[0] < 0
            ? (b[2] < 0 ? Math.Sqrt(-b[2]) : 0)
            : (b[2] > 0 ? Math.Sqrt(b[2]) : 0);
        if (b[1] < 0)
        {
            betas[0] = -betas[0];
        }

        if (approximation == 3 && betas[0] != 0)
        {
            betas[2] = b[3] / betas[0];
        }

        return betas[0] != 0;
    }

    /// <summary>Five Gauss–Newton steps on the betas against the control points' distances, as epnp.cpp takes.</summary>
    private static void GaussNewton(ReadOnlySpan<double> l, ReadOnlySpan<double> rho, Span<double> betas)
    {
        Span<double> a = stackalloc double[24];
        Span<double> b = stackalloc double[6];
        Span<double> step = stackalloc double[4];
        for (var iteration = 0; iteration < 5; iteration++)
        {
            var (b0, b1, b2, b3) = (betas[0], betas[1], betas[2], betas[3]);
            for (var r = 0; r < 6; r++)
            {
                var q = l.Slice(r * 10, 10);
                a[(r * 4) + 0] = (2 * q[0] * b0) + (q[1] * b1) + (q[3] * b2) + (q[6] * b3);
                a[(r * 4) + 1] = (q[1] * b0) + (2 * q[2] * b1) + (q[4] * b2) + (q[7] * b3);
                a[(r * 4) + 2] = (q[3] * b0) + (q[4] * b1) + (2 * q[5] * b2) + (q[8] * b3);
                a[(r * 4) + 3] = (q[6] * b0) + (q[7] * b1) + (q[8] * b2) + (2 * q[9] * b3);
                b[r] = rho[r] - ((q[0] * b0 * b0) + (q[1] * b0 * b1) + (q[2] * b1 * b1) + (q[3] * b0 * b2) + (q[4] * b1 * b2)
                    + (q[5] * b2 * b2) + (q[6] * b0 * b3) + (q[7] * b1 * b3) + (q[8] * b2 * b3) + (q[9] * b3 * b3));
            }

            SymmetricEigen.SolveLeastSquares(a, b, 6, 4, step);
            for (var i = 0; i < 4; i++)
            {
                betas[i] += step[i];
            }
        }
    }

    /// <summary>Camera-frame control points from the betas, the points from them, then R and t by Procrustes.</summary>
    private static RigidTransform? PoseFromBetas(
        ReadOnlySpan<double> nullSpace, ReadOnlySpan<double> betas, ReadOnlySpan<double> alphas, IReadOnlyList<Vec3> objectPoints, int n)
    {
        Span<double> cameraControls = stackalloc double[12];
        cameraControls.Clear();
        for (var k = 0; k < 4; k++)
        {
            for (var c = 0; c < 12; c++)
            {
                cameraControls[c] += betas[k] * nullSpace[(c * 12) + (11 - k)];
            }
        }

        // The null space fixes the solution up to sign: the one with the points in front of the camera.
        var sign = InCamera(cameraControls, alphas, 0).Z < 0 ? -1.0 : 1.0;
        var (cameraCentroid, objectCentroid) = (Vec3.Zero, Vec3.Zero);
        for (var i = 0; i < n; i++)
        {
            cameraCentroid += InCamera(cameraControls, alphas, i) * sign;
            objectCentroid += objectPoints[i];
        }

        (cameraCentroid, objectCentroid) = (cameraCentroid / n, objectCentroid / n);
        Span<double> cross = stackalloc double[9];
        cross.Clear();
        for (var i = 0; i < n; i++)
        {
            var pc = (InCamera(cameraControls, alphas, i) * sign) - cameraCentroid;
            var pw = objectPoints[i] - objectCentroid;
            Span<double> c = [pc.X, pc.Y, pc.Z];
            Span<double> w = [pw.X, pw.Y, pw.Z];
            for (var r = 0; r < 3; r++)
            {
                for (var col = 0; col < 3; col++)
                {
                    cross[(r * 3) + col] += c[r] * w[col];
                }
            }
        }

        if (NearestRotation(cross) is not { } rotation)
        {
            return null;
        }

        var translation = cameraCentroid - (rotation * objectCentroid);
        return double.IsFinite(translation.Length) ? new RigidTransform(rotation, translation) : null;
    }

    /// <summary>Point i from its barycentric coordinates and the control points.</summary>
    private static Vec3 InCamera(ReadOnlySpan<double> controls, ReadOnlySpan<double> alphas, int i) => new(
        (alphas[4 * i] * controls[0]) + (alphas[(4 * i) + 1] * controls[3]) + (alphas[(4 * i) + 2] * controls[6]) + (alphas[(4 * i) + 3] * controls[9]),
        (alphas[4 * i] * controls[1]) + (alphas[(4 * i) + 1] * controls[4]) + (alphas[(4 * i) + 2] * controls[7]) + (alphas[(4 * i) + 3] * controls[10]),
        (alphas[4 * i] * controls[2]) + (alphas[(4 * i) + 1] * controls[5]) + (alphas[(4 * i) + 2] * controls[8]) + (alphas[(4 * i) + 3] * controls[11]));

    /// <summary>
    /// The rotation R maximising tr(Rᵀ·A) (Kabsch): R = U·diag(1, 1, ±1)·Vᵀ from A = U·S·Vᵀ, with U's columns from
    /// A·vᵢ/σᵢ and the third made right-handed, so a rank-2 A (coplanar points) still gives a rotation.
    /// </summary>
    private static Rotation3? NearestRotation(ReadOnlySpan<double> a)
    {
        Span<double> ata = stackalloc double[9];
        Span<double> v = stackalloc double[9];
        for (var r = 0; r < 3; r++)
        {
            for (var c = 0; c < 3; c++)
            {
                ata[(r * 3) + c] = (a[r] * a[c]) + (a[3 + r] * a[3 + c]) + (a[6 + r] * a[6 + c]);
            }
        }

        SymmetricEigen.Decompose(ata, v, 3);
        if (!(ata[4] > 1e-18 * ata[0]))
        {
            return null;
        }

        Vec3 Column(ReadOnlySpan<double> m, int c) => new(m[c], m[3 + c], m[6 + c]);
        Vec3 Times(ReadOnlySpan<double> m, Vec3 x) => new(
            (m[0] * x.X) + (m[1] * x.Y) + (m[2] * x.Z), (m[3] * x.X) + (m[4] * x.Y) + (m[5] * x.Z), (m[6] * x.X) + (m[7] * x.Y) + (m[8] * x.Z));

        var (v1, v2) = (Column(v, 0), Column(v, 1));
        var u1 = Times(a, v1).Normalized();
        var u2 = Times(a, v2);
        u2 = (u2 - (u1 * u1.Dot(u2))).Normalized();
        var u3 = u1.Cross(u2);
        var v3 = v1.Cross(v2);

        // R = u1·v1ᵀ + u2·v2ᵀ + u3·v3ᵀ with both triads right-handed: the proper rotation Kabsch's sign correction gives.
        Span<double> m = stackalloc double[9];
        for (var r = 0; r < 3; r++)
        {
            var (ur1, ur2, ur3) = (Component(u1, r), Component(u2, r), Component(u3, r));
            for (var c = 0; c < 3; c++)
            {
                m[(r * 3) + c] = (ur1 * Component(v1, c)) + (ur2 * Component(v2, c)) + (ur3 * Component(v3, c));
            }
        }

        return Rotation3.FromRowMajor(m);
    }

    private static double Component(Vec3 v, int i) => i switch { 0 => v.X, 1 => v.Y, _ => v.Z };

    private static double ReprojectionError(RigidTransform pose, IReadOnlyList<Vec3> objectPoints, ReadOnlySpan<double> pixels, in CameraModel camera)
    {
        // Against the undistorted pixels through the pinhole alone, as epnp.cpp scores its candidates.
        var sum = 0.0;
        for (var i = 0; i < objectPoints.Count; i++)
        {
            var p = pose.Apply(objectPoints[i]);
            if (p.Z <= 0)
            {
                return double.PositiveInfinity;
            }

            var du = camera.Cx + (camera.Fx * p.X / p.Z) - pixels[2 * i];
            var dv = camera.Cy + (camera.Fy * p.Y / p.Z) - pixels[(2 * i) + 1];
            sum += Math.Sqrt((du * du) + (dv * dv));
        }

        return sum / objectPoints.Count;
    }

    private static double DistanceSquared(ReadOnlySpan<double> controls, int a, int b)
    {
        var (dx, dy, dz) = (controls[3 * a] - controls[3 * b], controls[(3 * a) + 1] - controls[(3 * b) + 1], controls[(3 * a) + 2] - controls[(3 * b) + 2]);
        return (dx * dx) + (dy * dy) + (dz * dz);
    }
}
