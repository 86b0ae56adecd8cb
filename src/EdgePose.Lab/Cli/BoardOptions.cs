using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using EdgePose.Core.Configuration;
using EdgePose.Lab.Calibration;
using OpenCvSharp.Aruco;

namespace EdgePose.Lab.Cli;

/// <summary>The ChArUco board flags every calibrate command shares; their defaults are <see cref="CharucoBoardSpec.Default"/>.</summary>
internal sealed class BoardOptions
{
    private static readonly CharucoBoardSpec Defaults = CharucoBoardSpec.Default;

    private readonly Option<int?> _squaresX = TypedOptions.Number<int>(
        "--squares-x", $"Board squares along its long side (default {Defaults.SquaresX}).", new RangeAttribute(3, 50));

    private readonly Option<int?> _squaresY = TypedOptions.Number<int>(
        "--squares-y", $"Board squares along its short side (default {Defaults.SquaresY}).", new RangeAttribute(3, 50));

    private readonly Option<double?> _squareLength = TypedOptions.Number<double>(
        "--square-length", $"Side of one chessboard square as printed, metres (default {Defaults.SquareLengthMeters}); measure the print.", new RangeAttribute(0.001, 1.0));

    private readonly Option<double?> _markerLength = TypedOptions.Number<double>(
        "--marker-length", $"Side of one ArUco marker as printed, metres (default {Defaults.MarkerLengthMeters}).", new RangeAttribute(0.001, 1.0));

    private readonly Option<PredefinedDictionaryType?> _dictionary = TypedOptions.Choice<PredefinedDictionaryType>(
        "--dictionary", $"ArUco dictionary of the board's markers, e.g. dict4x4_50, dict6x6_250, dictapriltag_36h11 (default {Defaults.Dictionary.ToString().ToLowerInvariant()}).");

    public BoardOptions() => _dictionary.HelpName = "name";

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _squaresX, _squaresY, _squareLength, _markerLength, _dictionary })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The board the flags describe, or the first thing wrong with it as one usage line.</summary>
    public bool TryRead(ParseResult result, out CharucoBoardSpec spec, out string problem)
    {
        spec = new CharucoBoardSpec(
            result.GetValue(_squaresX) ?? Defaults.SquaresX,
            result.GetValue(_squaresY) ?? Defaults.SquaresY,
            result.GetValue(_squareLength) ?? Defaults.SquareLengthMeters,
            result.GetValue(_markerLength) ?? Defaults.MarkerLengthMeters,
            result.GetValue(_dictionary) ?? Defaults.Dictionary);
        var first = spec.Problems().Select(p => SettingFailure.Format(p.Option, p.Value, p.Reason)).FirstOrDefault();
        problem = first ?? "";
        return first is null;
    }
}
