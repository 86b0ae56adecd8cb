using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using OpenCvSharp;

namespace EdgePose.Simulation.Scene;

/// <summary>Image-space helpers shared by the renderer and the trajectory.</summary>
internal static class SceneProjection
{
    /// <summary>Projects object points at <paramref name="pose"/>; through OpenCV only when the camera has distortion, which is rare and slow.</summary>
    public static Point2d[] Project(CameraIntrinsics camera, RigidTransform pose, IReadOnlyList<Vec3> objectPoints)
    {
        if (!camera.Distortion.IsDefaultOrEmpty && camera.Distortion.Any(d => d != 0))
        {
            return PnpSolver.Project(objectPoints, camera, pose);
        }

        var result = new Point2d[objectPoints.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = camera.Project(pose.Apply(objectPoints[i]));
        }

        return result;
    }

    public static bool AllInside(ReadOnlySpan<Point2d> points, int width, int height, double marginPx)
    {
        foreach (var p in points)
        {
            if (!(p.X >= marginPx && p.Y >= marginPx && p.X <= width - 1 - marginPx && p.Y <= height - 1 - marginPx))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The pixel rectangle covering <paramref name="points"/> (with a pixel of slack for drawing), clipped to the image.</summary>
    public static Rect BoundingRoi(ReadOnlySpan<Point2d> points, int width, int height)
    {
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        foreach (var p in points)
        {
            (minX, minY, maxX, maxY) = (Math.Min(minX, p.X), Math.Min(minY, p.Y), Math.Max(maxX, p.X), Math.Max(maxY, p.Y));
        }

        var x0 = (int)Math.Clamp(Math.Floor(minX) - 1, 0, width);
        var y0 = (int)Math.Clamp(Math.Floor(minY) - 1, 0, height);
        var x1 = (int)Math.Clamp(Math.Ceiling(maxX) + 2, 0, width);
        var y1 = (int)Math.Clamp(Math.Ceiling(maxY) + 2, 0, height);
        return new Rect(x0, y0, Math.Max(0, x1 - x0), Math.Max(0, y1 - y0));
    }

    /// <summary>Fixed-point vertices (4 fractional bits) relative to <paramref name="origin"/>, so polygons keep sub-pixel edges.</summary>
    public static Point[] ToFixed(ReadOnlySpan<Point2d> points, Point origin)
    {
        var result = new Point[points.Length];
        for (var i = 0; i < points.Length; i++)
        {
            result[i] = new Point(
                (int)Math.Round((points[i].X - origin.X) * (1 << FixedShift)),
                (int)Math.Round((points[i].Y - origin.Y) * (1 << FixedShift)));
        }

        return result;
    }

    public const int FixedShift = 4;

    public static double Area(ReadOnlySpan<Point2d> polygon)
    {
        var sum = 0.0;
        for (var i = 0; i < polygon.Length; i++)
        {
            var (a, b) = (polygon[i], polygon[(i + 1) % polygon.Length]);
            sum += (a.X * b.Y) - (b.X * a.Y);
        }

        return Math.Abs(sum) / 2;
    }

    /// <summary>Area of the part of a convex polygon with p·direction ≥ offset (one Sutherland–Hodgman step).</summary>
    public static double AreaBeyond(ReadOnlySpan<Point2d> polygon, Point2d direction, double offset)
    {
        Span<Point2d> clipped = stackalloc Point2d[polygon.Length + 2];
        var count = 0;
        for (var i = 0; i < polygon.Length; i++)
        {
            var (a, b) = (polygon[i], polygon[(i + 1) % polygon.Length]);
            var da = (a.X * direction.X) + (a.Y * direction.Y) - offset;
            var db = (b.X * direction.X) + (b.Y * direction.Y) - offset;
            if (da >= 0)
            {
                clipped[count++] = a;
            }

            if ((da >= 0) != (db >= 0))
            {
                var t = da / (da - db);
                clipped[count++] = new Point2d(a.X + ((b.X - a.X) * t), a.Y + ((b.Y - a.Y) * t));
            }
        }

        return count < 3 ? 0 : Area(clipped[..count]);
    }
}
