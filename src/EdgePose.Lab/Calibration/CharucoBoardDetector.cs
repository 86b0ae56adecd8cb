using EdgePose.Core.Geometry;
using OpenCvSharp;
using OpenCvSharp.Aruco;

namespace EdgePose.Lab.Calibration;

/// <summary>The board corners found in one image: pixel positions and, for each, the same corner on the board (metres).</summary>
internal sealed record BoardView(Point2f[] ImagePoints, Vec3[] BoardPoints, int[] Ids)
{
    public Point3f[] BoardPointsF() => [.. BoardPoints.Select(p => new Point3f((float)p.X, (float)p.Y, (float)p.Z))];

    public Point2d[] ImagePointsD() => [.. ImagePoints.Select(p => new Point2d(p.X, p.Y))];
}

/// <summary>Finds a <see cref="CharucoBoardSpec"/> board's inner corners (ArUco markers, then the interpolated chessboard corners).</summary>
internal sealed class CharucoBoardDetector : IDisposable
{
    /// <summary>Fewer corners fit a view too loosely to calibrate from (OpenCV accepts 4; a homography from 6 is already shaky).</summary>
    public const int MinimumCorners = 6;

    private readonly CharucoBoardSpec _spec;
    private readonly CharucoBoard _board;
    private readonly CharucoDetector _detector;

    public CharucoBoardDetector(CharucoBoardSpec spec)
    {
        _spec = spec;
        _board = spec.Create();
        _detector = new CharucoDetector(_board);
    }

    /// <summary>The board in <paramref name="image"/>, or null when fewer than <see cref="MinimumCorners"/> corners are found or they lie on one line.</summary>
    public BoardView? Detect(Mat image)
    {
        using var gray = new Mat();
        if (image.Channels() == 1)
        {
            image.CopyTo(gray);
        }
        else
        {
            Cv2.CvtColor(image, gray, image.Channels() == 4 ? ColorConversionCodes.BGRA2GRAY : ColorConversionCodes.BGR2GRAY);
        }

        _detector.DetectBoard(gray, out var corners, out var ids, out _, out _);
        if (corners is null || ids is null || corners.Length < MinimumCorners)
        {
            return null;
        }

        using var idMat = Mat.FromArray(ids);
        if (_board.CheckCharucoCornersCollinear(idMat))
        {
            return null;
        }

        return new BoardView(corners, [.. ids.Select(_spec.Corner)], ids);
    }

    public void Dispose()
    {
        _detector.Dispose();
        _board.Dispose();
    }
}
