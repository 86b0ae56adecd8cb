namespace EdgePose.Core.Geometry;

/// <summary>
/// Eigen-decomposition of the small symmetric matrices pose estimation meets (3×3 to 12×12, row-major in a span) by
/// cyclic Jacobi rotations: exact to rounding, and at these sizes cheaper than a native call and its matrix headers.
/// </summary>
internal static class SymmetricEigen
{
    private const int MaxSweeps = 60;

    /// <summary>
    /// Decomposes the n×n matrix <paramref name="a"/> = V·diag(λ)·Vᵀ in place: afterwards <paramref name="a"/>'s diagonal
    /// holds the eigenvalues and the columns of <paramref name="v"/> (n×n) the eigenvectors, sorted by descending eigenvalue.
    /// </summary>
    public static void Decompose(Span<double> a, Span<double> v, int n)
    {
        v[..(n * n)].Clear();
        for (var i = 0; i < n; i++)
        {
            v[(i * n) + i] = 1;
        }

        for (var sweep = 0; sweep < MaxSweeps; sweep++)
        {
            var (offDiagonal, diagonal) = (0.0, 0.0);
            for (var p = 0; p < n; p++)
            {
                diagonal += a[(p * n) + p] * a[(p * n) + p];
                for (var q = p + 1; q < n; q++)
                {
                    offDiagonal += a[(p * n) + q] * a[(p * n) + q];
                }
            }

            if (offDiagonal <= 1e-30 * diagonal || offDiagonal == 0)
            {
                break;
            }

            for (var p = 0; p < n; p++)
            {
                for (var q = p + 1; q < n; q++)
                {
                    Rotate(a, v, n, p, q);
                }
            }
        }

        SortDescending(a, v, n);
    }

    /// <summary>
    /// The least-squares solution of A·x = b (A m×n, m ≥ n) through the pseudo-inverse of AᵀA: directions whose eigenvalue
    /// is below 1e-12 of the largest are left at zero, as an SVD solve would.
    /// </summary>
    public static void SolveLeastSquares(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int m, int n, Span<double> x)
    {
        Span<double> normal = stackalloc double[n * n];
        Span<double> vectors = stackalloc double[n * n];
        Span<double> projected = stackalloc double[n];
        for (var r = 0; r < n; r++)
        {
            for (var c = 0; c < n; c++)
            {
                var sum = 0.0;
                for (var k = 0; k < m; k++)
                {
                    sum += a[(k * n) + r] * a[(k * n) + c];
                }

                normal[(r * n) + c] = sum;
            }
        }

        Span<double> atb = stackalloc double[n];
        for (var c = 0; c < n; c++)
        {
            var sum = 0.0;
            for (var k = 0; k < m; k++)
            {
                sum += a[(k * n) + c] * b[k];
            }

            atb[c] = sum;
        }

        Decompose(normal, vectors, n);
        var largest = Math.Abs(normal[0]);
        for (var e = 0; e < n; e++)
        {
            // x = Σ_e v_e·(v_eᵀ·Aᵀb)/λ_e over the directions A constrains.
            var eigenvalue = normal[(e * n) + e];
            var dot = 0.0;
            if (eigenvalue > 1e-12 * largest)
            {
                for (var c = 0; c < n; c++)
                {
                    dot += vectors[(c * n) + e] * atb[c];
                }

                dot /= eigenvalue;
            }

            projected[e] = dot;
        }

        for (var c = 0; c < n; c++)
        {
            var sum = 0.0;
            for (var e = 0; e < n; e++)
            {
                sum += vectors[(c * n) + e] * projected[e];
            }

            x[c] = sum;
        }
    }

    /// <summary>One Jacobi rotation zeroing a[p,q]; the eigenvectors accumulate as the columns of v.</summary>
    private static void Rotate(Span<double> a, Span<double> v, int n, int p, int q)
    {
        var apq = a[(p * n) + q];
        if (apq == 0)
        {
            return;
        }

        var theta = (a[(q * n) + q] - a[(p * n) + p]) / (2 * apq);
        var t = (theta >= 0 ? 1 : -1) / (Math.Abs(theta) + Math.Sqrt((theta * theta) + 1));
        var c = 1 / Math.Sqrt((t * t) + 1);
        var s = t * c;
        for (var k = 0; k < n; k++)
        {
            var (akp, akq) = (a[(k * n) + p], a[(k * n) + q]);
            a[(k * n) + p] = (c * akp) - (s * akq);
            a[(k * n) + q] = (s * akp) + (c * akq);
        }

        for (var k = 0; k < n; k++)
        {
            var (apk, aqk) = (a[(p * n) + k], a[(q * n) + k]);
            a[(p * n) + k] = (c * apk) - (s * aqk);
            a[(q * n) + k] = (s * apk) + (c * aqk);
        }

        for (var k = 0; k < n; k++)
        {
            var (vkp, vkq) = (v[(k * n) + p], v[(k * n) + q]);
            v[(k * n) + p] = (c * vkp) - (s * vkq);
            v[(k * n) + q] = (s * vkp) + (c * vkq);
        }
    }

    private static void SortDescending(Span<double> a, Span<double> v, int n)
    {
        for (var i = 0; i < n - 1; i++)
        {
            var best = i;
            for (var j = i + 1; j < n; j++)
            {
                if (a[(j * n) + j] > a[(best * n) + best])
                {
                    best = j;
                }
            }

            if (best == i)
            {
                continue;
            }

            (a[(i * n) + i], a[(best * n) + best]) = (a[(best * n) + best], a[(i * n) + i]);
            for (var k = 0; k < n; k++)
            {
                (v[(k * n) + i], v[(k * n) + best]) = (v[(k * n) + best], v[(k * n) + i]);
            }
        }
    }
}
