namespace EdgePose.Core.Geometry;

/// <summary>
/// The 6×6 symmetric systems of pose estimation (normal equations, information matrices) in managed code, row-major in
/// a span: small enough that a native call and its matrix headers cost more than the arithmetic.
/// </summary>
internal static class Symmetric6
{
    public const int Size = 6;
    public const int Count = Size * Size;

    /// <summary>Solves A·x = b in place of <paramref name="b"/> by Cholesky; false when A is not positive definite.</summary>
    public static bool TrySolve(ReadOnlySpan<double> a, Span<double> b)
    {
        Span<double> l = stackalloc double[Count];
        for (var i = 0; i < Size; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var sum = a[(i * Size) + j];
                for (var k = 0; k < j; k++)
                {
                    sum -= l[(i * Size) + k] * l[(j * Size) + k];
                }

                if (i == j)
                {
                    if (!(sum > 0))
                    {
                        return false;
                    }

                    l[(i * Size) + i] = Math.Sqrt(sum);
                }
                else
                {
                    l[(i * Size) + j] = sum / l[(j * Size) + j];
                }
            }
        }

        for (var i = 0; i < Size; i++)
        {
            var sum = b[i];
            for (var k = 0; k < i; k++)
            {
                sum -= l[(i * Size) + k] * b[k];
            }

            b[i] = sum / l[(i * Size) + i];
        }

        for (var i = Size - 1; i >= 0; i--)
        {
            var sum = b[i];
            for (var k = i + 1; k < Size; k++)
            {
                sum -= l[(k * Size) + i] * b[k];
            }

            b[i] = sum / l[(i * Size) + i];
        }

        return true;
    }

    /// <summary>
    /// The inverse through the eigen-decomposition, as cv::invert(DECOMP_SVD) does for a symmetric positive semi-definite
    /// matrix; false, and nothing written, when the smallest eigenvalue is below <paramref name="minimumRatio"/> of the
    /// largest: then some direction is unconstrained.
    /// </summary>
    public static bool TryInvert(ReadOnlySpan<double> a, Span<double> inverse, double minimumRatio)
    {
        Span<double> m = stackalloc double[Count];
        Span<double> v = stackalloc double[Count];
        a.CopyTo(m);
        SymmetricEigen.Decompose(m, v, Size);
        var (largest, smallest) = (m[0], m[Count - 1]);
        if (!(largest > 0) || !(smallest > minimumRatio * largest))
        {
            return false;
        }

        for (var r = 0; r < Size; r++)
        {
            for (var c = r; c < Size; c++)
            {
                var sum = 0.0;
                for (var k = 0; k < Size; k++)
                {
                    sum += v[(r * Size) + k] * v[(c * Size) + k] / m[(k * Size) + k];
                }

                inverse[(r * Size) + c] = sum;
                inverse[(c * Size) + r] = sum;
            }
        }

        return true;
    }
}
