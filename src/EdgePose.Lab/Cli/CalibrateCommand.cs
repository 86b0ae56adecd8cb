using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using EdgePose.Daemon.Cli;
using OpenCvSharp;

namespace EdgePose.Lab.Cli;

/// <summary>
/// <c>edgepose-lab calibrate</c>: what a field engineer runs to calibrate a workcell camera. <c>board</c> draws the ChArUco
/// board to print, <c>intrinsics</c> writes the cv::FileStorage file for EdgePose:Workcell:Camera:CalibrationFile, and
/// <c>hand-eye</c> the EdgePose:Workcell:Camera:CameraToBase settings. Exit codes: 0 done, 2 bad option or input (nothing
/// written), 78 bad configuration, 1 a capture source that cannot be opened.
/// </summary>
internal static class CalibrateCommand
{
    public const int CaptureFailedExitCode = 1;

    public static Command Create(HostOptionsBinding binding)
    {
        var command = new Command("calibrate", "Calibrate the workcell camera with a printed ChArUco board: the board to print, the intrinsics, the camera's pose in the robot base.");
        command.Subcommands.Add(CreateBoard());
        command.Subcommands.Add(new CalibrateIntrinsicsCommand(binding).Create());
        command.Subcommands.Add(new CalibrateHandEyeCommand().Create());
        return command;
    }

    /// <summary>Reads one image for calibration; null when it cannot be read.</summary>
    public static Mat? ReadImage(string path)
    {
        var image = Cv2.ImRead(path, ImreadModes.Color);
        if (!image.Empty())
        {
            return image;
        }

        image.Dispose();
        return null;
    }

    private static Command CreateBoard()
    {
        var board = new BoardOptions();
        var output = new Option<string?>("--out") { Description = "PNG file to write the board to." };
        var dpi = TypedOptions.Number<int>("--dpi", "Print resolution the image is drawn for, dots per inch (default 300).", new RangeAttribute(72, 2400));
        var command = new Command("board", "Draw the ChArUco board to print (at 100% scale, flat and rigid; measure a square and pass its size to --square-length).");
        board.AddTo(command);
        command.Options.Add(output);
        command.Options.Add(dpi);
        command.SetAction(result => EdgePoseCommandLine.Guarded(() =>
        {
            var (writer, error) = (result.InvocationConfiguration.Output, result.InvocationConfiguration.Error);
            if (!board.TryRead(result, out var spec, out var problem))
            {
                return LabCommandLine.UsageError(error, "calibrate board", problem);
            }

            if (result.GetValue(output) is not { Length: > 0 } path)
            {
                return LabCommandLine.UsageError(error, "calibrate board", "--out: required, the PNG file to write.");
            }

            var dotsPerInch = result.GetValue(dpi) ?? 300;
            var pixelsPerSquare = (int)Math.Round(spec.SquareLengthMeters / 0.0254 * dotsPerInch);
            using var image = spec.Draw(pixelsPerSquare);
            Cv2.ImWrite(path, image);
            writer.WriteLine(FormattableString.Invariant(
                $"wrote {Path.GetFullPath(path)}: {spec.SquaresX}x{spec.SquaresY} squares of {spec.SquareLengthMeters * 1000:0.#} mm, markers {spec.MarkerLengthMeters * 1000:0.#} mm ({spec.Dictionary}), {image.Width}x{image.Height} px at {dotsPerInch} dpi"));
            writer.WriteLine("print it at 100% scale, glue it flat on a rigid plate, and measure one square: pass the measured size to --square-length.");
            return 0;
        }));
        return command;
    }
}
