using System.Collections.Immutable;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
using OpenCvSharp;

namespace EdgePose.Runtime.Pipeline;

/// <summary>Draws a pose on an image for a person to check: the box's 12 edges, its 8 corners and its X (red), Y (green), Z (blue) axes.</summary>
public static class PoseOverlay
{
    private static readonly (int A, int B)[] Edges =
        [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4), (0, 4), (1, 5), (2, 6), (3, 7)];

    public static void DrawBox(Mat image, CameraIntrinsics camera, TargetObject target, RigidTransform cameraFromObject, Scalar color, int thickness = 2)
    {
        var corners = PnpSolver.Project(target.Corners, camera, cameraFromObject);
        foreach (var (a, b) in Edges)
        {
            Cv2.Line(image, ToPoint(corners[a]), ToPoint(corners[b]), color, thickness, LineTypes.AntiAlias);
        }

        // Eight of the nine keypoints the model predicts (the ninth, the centre, is where the axes start), reprojected from the
        // pose: a dot off its corner shows where the pose is wrong.
        foreach (var corner in corners)
        {
            Cv2.Circle(image, ToPoint(corner), thickness + 2, color, -1, LineTypes.AntiAlias);
        }

        var axisLength = Math.Min(target.Size.X, Math.Min(target.Size.Y, target.Size.Z));
        var axes = PnpSolver.Project(
            [Vec3.Zero, new Vec3(axisLength, 0, 0), new Vec3(0, axisLength, 0), new Vec3(0, 0, axisLength)], camera, cameraFromObject);
        Cv2.Line(image, ToPoint(axes[0]), ToPoint(axes[1]), Scalar.Red, thickness + 1, LineTypes.AntiAlias);
        Cv2.Line(image, ToPoint(axes[0]), ToPoint(axes[2]), Scalar.Lime, thickness + 1, LineTypes.AntiAlias);
        Cv2.Line(image, ToPoint(axes[0]), ToPoint(axes[3]), Scalar.Blue, thickness + 1, LineTypes.AntiAlias);
    }

    /// <summary>
    /// Draws each found pose (model yellow, baseline cyan) and, for live results, the filtered pose (thin, magenta), and
    /// labels every object with its source and confidence, or why it was not found, and its track state, from label line
    /// <paramref name="firstLine"/> on; returns the next free line.
    /// </summary>
    public static int DrawPoses(Mat image, CameraIntrinsics camera, Workcell workcell, ImmutableArray<ObjectPose> poses, string objectFilter = "", int firstLine = 0)
    {
        var line = firstLine;
        foreach (var pose in poses)
        {
            if ((objectFilter.Length > 0 && pose.ObjectId != objectFilter) || workcell.FindObject(pose.ObjectId) is not { } target)
            {
                continue;
            }

            var color = pose.Source == PoseSource.Model ? Scalar.Yellow : Scalar.Cyan;
            if (pose.Estimate is { } estimate)
            {
                DrawBox(image, camera, target, PoseReporting.ToCameraObject(estimate.Pose, target, workcell), color);
            }

            if (pose.Track.Pose is { } filtered)
            {
                DrawBox(image, camera, target, PoseReporting.ToCameraObject(filtered, target, workcell), Scalar.Magenta, thickness: 1);
            }

            DrawLabel(
                image,
                pose.Estimate is { } e ? $"{pose.ObjectId}: {pose.Source} conf {e.Confidence:0.00} reproj {e.ReprojectionErrorPx:0.0}px" : $"{pose.ObjectId}: not found ({pose.FallbackReason})",
                line++,
                color);
            if (pose.Track.State != TrackState.None)
            {
                DrawLabel(image, $"{pose.ObjectId} track: {pose.Track.State} ({pose.Track.Verdict})", line++, Scalar.Magenta);
            }
        }

        return line;
    }

    public static void DrawLabel(Mat image, string text, int line, Scalar color) =>
        Cv2.PutText(image, text, new Point(8, 22 + (line * 22)), HersheyFonts.HersheySimplex, 0.6, color, 2, LineTypes.AntiAlias);

    private static Point ToPoint(Point2d p) => new((int)Math.Round(Math.Clamp(p.X, -1e5, 1e5)), (int)Math.Round(Math.Clamp(p.Y, -1e5, 1e5)));
}
