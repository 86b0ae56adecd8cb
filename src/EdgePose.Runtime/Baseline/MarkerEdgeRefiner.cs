using OpenCvSharp;

namespace EdgePose.Runtime.Baseline;

/// <summary>
/// Re-derives marker corners from its four outer edges: sub-pixel edge points across each side of the black square,
/// a robust line through them, and adjacent lines intersected. A corner detector sees a few pixels around the corner
/// and is pulled inwards on small blurred markers (≈0.15-0.25 px at 24 px per side, several millimetres of depth at 1 m);
/// each line here rests on dozens of edge crossings, and the 50 % crossing of a symmetrically blurred step sits on the
/// true edge whatever the blur.
/// </summary>
internal static class MarkerEdgeRefiner
{
    /// <summary>Spacing of edge profiles along a side, and of samples along a profile, in pixels.</summary>
    private const double StepPx = 0.5;

    /// <summary>Profiles stay this many cells away from the corners, where the perpendicular edge bends the profile.</summary>
    private const double CornerClearanceCells = 0.5;

    /// <summary>Half-length of a profile in cells: inside the black border cell and the white quiet zone on either side.</summary>
    private const double ProfileHalfCells = 0.45;

    private const double MinProfileHalfPx = 1.0;
    private const double MaxProfileHalfPx = 5.0;

    /// <summary>Grey-level step below which a profile is noise or shadow, not the marker border.</summary>
    private const double MinContrast = 20;

    private const int MinPointsPerSide = 6;

    /// <summary>The second pass re-centres profiles on the first pass's lines, which matters when the detector was off by about a profile half-length.</summary>
    private const int Passes = 2;

    /// <summary>
    /// Refines <paramref name="corners"/> (TL, TR, BR, BL as ArUco returns them) in place on the 8-bit grey
    /// <paramref name="gray"/>; false (corners untouched) when a side has too few clean edge crossings or a corner
    /// would move further than the edges can justify.
    /// </summary>
    /// <param name="cellsPerSide">Marker bits plus the two border cells: sets how far profiles may reach.</param>
    public static bool Refine(Mat gray, Point2d[] corners, int cellsPerSide)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(corners.Length, 4, nameof(corners));
        if (gray.Type() != MatType.CV_8UC1 || !gray.IsContinuous())
        {
            throw new ArgumentException("Edge refinement needs a continuous 8-bit grey image.", nameof(gray));
        }

        var image = new GrayImage(gray.AsSpan<byte>(), gray.Width, gray.Height);
        var refined = (Point2d[])corners.Clone();
        var lines = new Line2D[4];
        var points = new List<Point2f>(256);
        for (var pass = 0; pass < Passes; pass++)
        {
            for (var side = 0; side < 4; side++)
            {
                points.Clear();
                CollectEdgePoints(image, refined, side, cellsPerSide, points);
                if (points.Count < MinPointsPerSide)
                {
                    return false;
                }

                lines[side] = Cv2.FitLine(points, DistanceTypes.Huber, 0, 0.01, 0.01);
            }

            for (var c = 0; c < 4; c++)
            {
                if (Intersect(lines[(c + 3) % 4], lines[c]) is not { } corner)
                {
                    return false;
                }

                refined[c] = corner;
            }
        }

        var maxShift = Math.Max(1, MeanSide(corners) / cellsPerSide * ProfileHalfCells * 2);
        for (var c = 0; c < 4; c++)
        {
            if (refined[c].DistanceTo(corners[c]) > maxShift)
            {
                return false;
            }
        }

        refined.CopyTo(corners, 0);
        return true;
    }

    private static void CollectEdgePoints(GrayImage image, Point2d[] corners, int side, int cellsPerSide, List<Point2f> points)
    {
        var (a, b) = (corners[side], corners[(side + 1) % 4]);
        var length = a.DistanceTo(b);
        if (length < 2)
        {
            return;
        }

        var cellPx = MeanSide(corners) / cellsPerSide;
        var along = new Point2d((b.X - a.X) / length, (b.Y - a.Y) / length);
        var outward = new Point2d(-along.Y, along.X);
        var centre = new Point2d(corners.Average(p => p.X), corners.Average(p => p.Y));
        if (((a.X + b.X) / 2 - centre.X) * outward.X + (((a.Y + b.Y) / 2) - centre.Y) * outward.Y < 0)
        {
            outward = new Point2d(-outward.X, -outward.Y);
        }

        var half = Math.Clamp(ProfileHalfCells * cellPx, MinProfileHalfPx, MaxProfileHalfPx);
        var samples = (int)Math.Floor(half / StepPx);
        Span<double> profile = stackalloc double[(2 * samples) + 1];
        var clearance = Math.Max(1.5, CornerClearanceCells * cellPx);
        for (var t = clearance; t <= length - clearance; t += StepPx)
        {
            var onSide = new Point2d(a.X + (along.X * t), a.Y + (along.Y * t));
            var inside = true;
            for (var k = -samples; k <= samples && inside; k++)
            {
                var s = k * StepPx;
                inside = image.TrySample(onSide.X + (outward.X * s), onSide.Y + (outward.Y * s), out profile[k + samples]);
            }

            if (inside && Crossing(profile) is { } index)
            {
                var s = (index - samples) * StepPx;
                points.Add(new Point2f((float)(onSide.X + (outward.X * s)), (float)(onSide.Y + (outward.Y * s))));
            }
        }
    }

    /// <summary>
    /// Sample position (fractional) where a dark-to-bright profile crosses halfway between its end levels, the crossing
    /// nearest the middle; null for a profile without a clear, monotone-enough step.
    /// </summary>
    private static double? Crossing(ReadOnlySpan<double> profile)
    {
        var n = profile.Length;
        var dark = (profile[0] + profile[1]) / 2;
        var bright = (profile[n - 1] + profile[n - 2]) / 2;
        if (bright - dark < MinContrast)
        {
            return null;
        }

        var threshold = (dark + bright) / 2;
        double? best = null;
        for (var i = 0; i + 1 < n; i++)
        {
            if (profile[i] < threshold && profile[i + 1] >= threshold)
            {
                var position = i + ((threshold - profile[i]) / (profile[i + 1] - profile[i]));
                if (best is not { } b || Math.Abs(position - ((n - 1) / 2.0)) < Math.Abs(b - ((n - 1) / 2.0)))
                {
                    best = position;
                }
            }
        }

        return best;
    }

    private static Point2d? Intersect(Line2D first, Line2D second)
    {
        var determinant = (first.Vx * second.Vy) - (first.Vy * second.Vx);
        if (Math.Abs(determinant) < 1e-6)
        {
            return null;
        }

        var t = (((second.X1 - first.X1) * second.Vy) - ((second.Y1 - first.Y1) * second.Vx)) / determinant;
        return new Point2d(first.X1 + (first.Vx * t), first.Y1 + (first.Vy * t));
    }

    private static double MeanSide(Point2d[] corners) =>
        (corners[0].DistanceTo(corners[1]) + corners[1].DistanceTo(corners[2]) + corners[2].DistanceTo(corners[3]) + corners[3].DistanceTo(corners[0])) / 4;

    /// <summary>Bilinear reads from a continuous 8-bit image, pixel centres at integer coordinates.</summary>
    private readonly ref struct GrayImage(ReadOnlySpan<byte> pixels, int width, int height)
    {
        private readonly ReadOnlySpan<byte> _pixels = pixels;

        public bool TrySample(double x, double y, out double value)
        {
            var x0 = (int)Math.Floor(x);
            var y0 = (int)Math.Floor(y);
            if (x0 < 0 || y0 < 0 || x0 + 1 >= width || y0 + 1 >= height)
            {
                value = 0;
                return false;
            }

            var (fx, fy) = (x - x0, y - y0);
            var row = (y0 * width) + x0;
            var top = (_pixels[row] * (1 - fx)) + (_pixels[row + 1] * fx);
            var bottom = (_pixels[row + width] * (1 - fx)) + (_pixels[row + width + 1] * fx);
            value = (top * (1 - fy)) + (bottom * fy);
            return true;
        }
    }
}
