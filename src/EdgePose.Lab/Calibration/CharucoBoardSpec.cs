using EdgePose.Core.Geometry;
using OpenCvSharp;
using OpenCvSharp.Aruco;

namespace EdgePose.Lab.Calibration;

/// <summary>
/// A printed ChArUco board: <see cref="SquaresX"/>×<see cref="SquaresY"/> chessboard squares with an ArUco marker in each
/// white square. Its inner chessboard corners are the calibration points; corner id i sits at
/// ((i mod (SquaresX−1)) + 1, (i div (SquaresX−1)) + 1) squares from the board's top-left outer corner, z = 0 (OpenCV's layout).
/// </summary>
internal sealed record CharucoBoardSpec(int SquaresX, int SquaresY, double SquareLengthMeters, double MarkerLengthMeters, PredefinedDictionaryType Dictionary)
{
    /// <summary>7×5 squares of 30 mm with 22 mm 5×5 markers: 210 × 150 mm, printable on A4 with a margin.</summary>
    public static CharucoBoardSpec Default { get; } = new(7, 5, 0.030, 0.022, PredefinedDictionaryType.Dict5X5_100);

    public int CornerCount => (SquaresX - 1) * (SquaresY - 1);

    /// <summary>Markers sit in every other square; the dictionary must have at least this many.</summary>
    public int MarkerCount => SquaresX * SquaresY / 2;

    /// <summary>What is wrong with the board, as (option, value, reason), or nothing.</summary>
    public IEnumerable<(string Option, object Value, string Reason)> Problems()
    {
        if (MarkerLengthMeters >= SquareLengthMeters)
        {
            yield return ("--marker-length", MarkerLengthMeters, $"must be smaller than --square-length ({SquareLengthMeters}).");
        }

        using var dictionary = CvAruco.GetPredefinedDictionary(Dictionary);
        if (dictionary.BytesList.Rows < MarkerCount)
        {
            yield return ("--dictionary", Dictionary, $"has {dictionary.BytesList.Rows} markers; a {SquaresX}x{SquaresY} board needs {MarkerCount}.");
        }
    }

    public CharucoBoard Create()
    {
        // The native board keeps its own copy of the dictionary.
        using var dictionary = CvAruco.GetPredefinedDictionary(Dictionary);
        return new CharucoBoard(SquaresX, SquaresY, (float)SquareLengthMeters, (float)MarkerLengthMeters, dictionary);
    }

    /// <summary>Corner <paramref name="id"/> in the board frame, metres.</summary>
    public Vec3 Corner(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, CornerCount);
        return new Vec3(((id % (SquaresX - 1)) + 1) * SquareLengthMeters, ((id / (SquaresX - 1)) + 1) * SquareLengthMeters, 0);
    }

    /// <summary>The board's print image: <paramref name="pixelsPerSquare"/> per square and a white margin of half a square.</summary>
    public Mat Draw(int pixelsPerSquare)
    {
        using var board = Create();
        var margin = pixelsPerSquare / 2;
        var image = new Mat();
        board.GenerateImage(new Size((SquaresX * pixelsPerSquare) + (2 * margin), (SquaresY * pixelsPerSquare) + (2 * margin)), image, margin, 1);
        return image;
    }
}
