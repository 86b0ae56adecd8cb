using System.Collections.Immutable;
using EdgePose.Core.Geometry;

namespace EdgePose.Lab.Evaluation;

/// <summary>Errors of an estimated pose T_camera_object against the true one; lengths in metres, angles in degrees.</summary>
public static class PoseErrorMetrics
{
    /// <summary>L2 distance between the object origins.</summary>
    public static double PositionErrorMeters(RigidTransform estimate, RigidTransform truth) => estimate.PositionErrorTo(truth);

    /// <summary>
    /// The position error along the line of sight to the true object origin, signed (positive: estimated too far away).
    /// One camera sees depth only through the object's apparent size, so a few tenths of a pixel on the keypoints of a
    /// far or half-covered box already move it by a centimetre along this line, and hardly at all across it.
    /// </summary>
    public static double DepthErrorMeters(RigidTransform estimate, RigidTransform truth) =>
        (estimate.Translation - truth.Translation).Dot(truth.Translation.Normalized());

    /// <summary>The position error across the line of sight: what is left of it after <see cref="DepthErrorMeters"/>.</summary>
    public static double LateralErrorMeters(RigidTransform estimate, RigidTransform truth)
    {
        var error = estimate.Translation - truth.Translation;
        var lineOfSight = truth.Translation.Normalized();
        return (error - (lineOfSight * error.Dot(lineOfSight))).Length;
    }

    /// <summary>Geodesic angle of R_est⁻¹·R_true.</summary>
    public static double AngleErrorDegrees(RigidTransform estimate, RigidTransform truth) => estimate.AngleErrorDegreesTo(truth);

    /// <summary>ADD (Hinterstoisser 2012): mean distance between each model point under the estimated and under the true pose.</summary>
    public static double Add(IReadOnlyList<Vec3> modelPoints, RigidTransform estimate, RigidTransform truth)
    {
        var sum = 0.0;
        foreach (var p in modelPoints)
        {
            sum += estimate.Apply(p).DistanceTo(truth.Apply(p));
        }

        return sum / modelPoints.Count;
    }

    /// <summary>ADD-S: mean distance from each truly placed point to the closest estimated point, so a symmetric object's equivalent poses score 0.</summary>
    public static double AddS(IReadOnlyList<Vec3> modelPoints, RigidTransform estimate, RigidTransform truth)
    {
        var estimated = modelPoints.Select(estimate.Apply).ToArray();
        var sum = 0.0;
        foreach (var p in modelPoints)
        {
            var t = truth.Apply(p);
            var closest = double.PositiveInfinity;
            foreach (var e in estimated)
            {
                closest = Math.Min(closest, (e - t).Dot(e - t));
            }

            sum += Math.Sqrt(closest);
        }

        return sum / modelPoints.Count;
    }

    /// <summary>
    /// Points spread evenly over a centred box's six faces (a <paramref name="perEdge"/>² grid per face, shared edge points
    /// repeated): ADD then weighs the whole surface, not only the 8 corners a box mesh has as vertices.
    /// </summary>
    public static ImmutableArray<Vec3> BoxSurfacePoints(Vec3 size, int perEdge = 6)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perEdge, 2);
        var half = size / 2;
        var points = ImmutableArray.CreateBuilder<Vec3>(6 * perEdge * perEdge);
        double Step(int i, double h) => -h + (2 * h * i / (perEdge - 1));
        for (var i = 0; i < perEdge; i++)
        {
            for (var j = 0; j < perEdge; j++)
            {
                foreach (var sign in new[] { -1.0, 1.0 })
                {
                    points.Add(new Vec3(sign * half.X, Step(i, half.Y), Step(j, half.Z)));
                    points.Add(new Vec3(Step(i, half.X), sign * half.Y, Step(j, half.Z)));
                    points.Add(new Vec3(Step(i, half.X), Step(j, half.Y), sign * half.Z));
                }
            }
        }

        return points.MoveToImmutable();
    }
}
