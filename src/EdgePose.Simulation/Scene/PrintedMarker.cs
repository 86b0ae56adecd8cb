using System.Collections.Immutable;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using OpenCvSharp;
using OpenCvSharp.Aruco;

namespace EdgePose.Simulation.Scene;

/// <summary>A fiducial marker as printed on a box: its code with one white cell of quiet zone around the black border.</summary>
public static class PrintedMarker
{
    /// <summary>
    /// The printed marker, <paramref name="cellPx"/> pixels a cell, and the corners of its quiet zone in the object frame
    /// (top-left, top-right, bottom-right, bottom-left: the image's corners in order).
    /// </summary>
    public static (Mat Image, ImmutableArray<Vec3> QuietZoneInObject) Draw(FiducialMarker marker, int cellPx)
    {
        using var dictionary = CvAruco.GetPredefinedDictionary(marker.Dictionary);
        var cells = dictionary.MarkerSize + 2;
        using var code = new Mat();
        dictionary.GenerateImageMarker(marker.Id, cells * cellPx, code, 1);

        var canvasPx = (cells + 2) * cellPx;
        var canvas = new Mat(canvasPx, canvasPx, MatType.CV_8UC3, Scalar.White);
        using (var inner = canvas[new Rect(cellPx, cellPx, cells * cellPx, cells * cellPx)])
        {
            Cv2.CvtColor(code, inner, ColorConversionCodes.GRAY2BGR);
        }

        var q = marker.SideMeters / 2 * (cells + 2) / cells;
        ImmutableArray<Vec3> quietZone = [.. new Vec3[] { new(-q, q, 0), new(q, q, 0), new(q, -q, 0), new(-q, -q, 0) }.Select(marker.PoseInObject.Apply)];
        return (canvas, quietZone);
    }
}
