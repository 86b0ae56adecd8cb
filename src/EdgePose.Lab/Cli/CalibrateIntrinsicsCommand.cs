using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using EdgePose.Core.Objects;
using EdgePose.Daemon.Cli;
using EdgePose.Daemon.Hosting;
using EdgePose.Lab.Calibration;
using EdgePose.Runtime.Capture;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace EdgePose.Lab.Cli;

/// <summary>
/// <c>edgepose-lab calibrate intrinsics</c>: cv::calibrateCamera over ChArUco board images (a folder, or views taken from the
/// daemon's own capture source), written as the cv::FileStorage file the daemon reads, then read back with its reader.
/// </summary>
internal sealed class CalibrateIntrinsicsCommand(HostOptionsBinding binding)
{
    private const string Name = "calibrate intrinsics";

    /// <summary>Well under a pixel is a good calibration; above this the engineer is told to look at the worst views.</summary>
    public const double AcceptableRmsPx = 1.0;

    private readonly BoardOptions _board = new();
    private readonly Option<string?> _images = new("--images")
    {
        Description = "Folder of board images (png, jpg, …), all the same size; with --from-capture, the new or empty folder the views are saved to.",
    };

    private readonly Option<bool> _fromCapture = new("--from-capture")
    {
        Description = "Take the views from the daemon's configured capture source (e.g. --source Camera --set EdgePose:Capture:CameraDevice=0): hold the board still at --views different places and tilts (a view is kept once it is still); Ctrl+C stops early.",
    };

    private readonly Option<int?> _views = TypedOptions.Number<int>(
        "--views", "Views to keep with --from-capture (default 15).", new RangeAttribute(IntrinsicsCalibration.MinimumViews, 500));

    private readonly Option<DistortionModel?> _distortion = TypedOptions.Choice<DistortionModel>(
        "--distortion", "standard (k1 k2 p1 p2, the default), wideangle (adds k3, for wide-angle lenses) or none (pinhole).");

    private readonly Option<string?> _out = new("--out") { Description = "Calibration file to write (.yaml, .yml or .xml), for EdgePose:Workcell:Camera:CalibrationFile." };

    public Command Create()
    {
        var command = new Command("intrinsics", "Compute the camera's intrinsics and distortion from ChArUco board images and write the cv::FileStorage file the daemon reads.");
        foreach (var option in new Option[] { _images, _fromCapture, _views, _distortion, _out })
        {
            command.Options.Add(option);
        }

        _board.AddTo(command);
        binding.AddTo(command);
        command.SetAction((result, ct) => Task.FromResult(EdgePoseCommandLine.Guarded(() => Run(result, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, ct))));
        return command;
    }

    private int Run(ParseResult result, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!_board.TryRead(result, out var spec, out var problem))
        {
            return LabCommandLine.UsageError(error, Name, problem);
        }

        var folder = result.GetValue(_images);
        var path = result.GetValue(_out);
        var fromCapture = result.GetValue(_fromCapture);
        if (string.IsNullOrWhiteSpace(folder))
        {
            return LabCommandLine.UsageError(error, Name, "--images: required, the folder of board images" + (fromCapture ? " to save the captured views to." : "."));
        }

        if (string.IsNullOrWhiteSpace(path) || Path.GetExtension(path).ToLowerInvariant() is not (".yaml" or ".yml" or ".xml"))
        {
            return LabCommandLine.UsageError(error, Name, $"--out = '{path}': required, a .yaml, .yml or .xml file.");
        }

        using var detector = new CharucoBoardDetector(spec);
        if (fromCapture)
        {
            if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
            {
                return LabCommandLine.UsageError(error, Name, $"--images = '{folder}': must be new or empty with --from-capture (the views are saved there).");
            }

            if (Capture(result, detector, folder, result.GetValue(_views) ?? 15, output, error, cancellationToken) is { } failed)
            {
                return failed;
            }
        }
        else if (result.GetValue(_views) is not null)
        {
            return LabCommandLine.UsageError(error, Name, "--views: only with --from-capture.");
        }

        if (!Directory.Exists(folder) || ImageFolderSource.ListImages(folder) is not { IsEmpty: false } files)
        {
            return LabCommandLine.UsageError(error, Name, $"--images = '{folder}': no images there (png, jpg, bmp, tif, webp, pgm/ppm).");
        }

        var views = new List<(string Image, BoardView View)>();
        Size? size = null;
        output.WriteLine(FormattableString.Invariant(
            $"calibrating from {files.Length} images, board {spec.SquaresX}x{spec.SquaresY} squares of {spec.SquareLengthMeters * 1000:0.##} mm ({spec.Dictionary})"));
        foreach (var file in files)
        {
            using var image = CalibrateCommand.ReadImage(file);
            if (image is null)
            {
                return LabCommandLine.UsageError(error, Name, $"{file}: not a readable image.");
            }

            size ??= image.Size();
            if (image.Size() != size)
            {
                return LabCommandLine.UsageError(error, Name, $"{file}: {image.Width}x{image.Height}, but the first image is {size.Value.Width}x{size.Value.Height}; calibrate one camera mode at a time.");
            }

            if (detector.Detect(image) is { } view)
            {
                views.Add((Path.GetFileName(file), view));
            }
            else
            {
                output.WriteLine($"  {Path.GetFileName(file)}: board not found (fewer than {CharucoBoardDetector.MinimumCorners} corners), skipped");
            }
        }

        IntrinsicsResult calibration;
        try
        {
            calibration = IntrinsicsCalibration.Calibrate(views, size!.Value, result.GetValue(_distortion) ?? DistortionModel.Standard);
        }
        catch (InvalidDataException ex)
        {
            return LabCommandLine.UsageError(error, Name, ex.Message);
        }

        Report(calibration, output);
        CameraCalibrationFile.Save(path, calibration.Camera, calibration.RmsPx);
        // Read back with the daemon's own reader: what it cannot load must not look like a finished calibration.
        CameraCalibrationFile.Load(path);
        var full = Path.GetFullPath(path);
        output.WriteLine($"wrote {full}");
        output.WriteLine($"point the daemon at it: EdgePose:Workcell:Camera:CalibrationFile = {full} (copy it to the board, e.g. /etc/edgepose/camera.yaml)");
        return 0;
    }

    private static void Report(IntrinsicsResult calibration, TextWriter output)
    {
        foreach (var view in calibration.Views)
        {
            var flag = view.RmsPx > 2 * calibration.RmsPx && view.RmsPx > 0.5 ? "  <- worst; retake or remove if blurred" : "";
            output.WriteLine(FormattableString.Invariant($"  {view.Image}: {view.Corners} corners, RMS {view.RmsPx:0.000} px{flag}"));
        }

        var c = calibration.Camera;
        output.WriteLine(FormattableString.Invariant(
            $"RMS reprojection error {calibration.RmsPx:0.000} px over {calibration.Views.Count} views ({(calibration.RmsPx <= AcceptableRmsPx ? "good: below" : "HIGH: above")} {AcceptableRmsPx} px)"));
        output.WriteLine(FormattableString.Invariant(
            $"{c.Width}x{c.Height}: fx {c.Fx:0.00} fy {c.Fy:0.00} cx {c.Cx:0.00} cy {c.Cy:0.00} distortion [{string.Join(", ", c.Distortion.Select(d => d.ToString("0.#####", System.Globalization.CultureInfo.InvariantCulture)))}]"));
    }

    /// <summary>Views from the capture source the daemon would open, configured by the same layers and flags; null when done.</summary>
    private int? Capture(ParseResult result, CharucoBoardDetector detector, string folder, int views, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using var configuration = new ConfigurationManager();
        var flags = binding.Flags(result);
        // Files and videos would otherwise replay for ever once every distinct view in them is kept.
        flags["EdgePose:Capture:Loop"] = "false";
        DaemonConfiguration.Apply(configuration, binding.ConfigFileValue(result), flags);
        using var services = new ServiceCollection().AddLogging().AddCapture(configuration).BuildServiceProvider();
        _ = services.GetRequiredService<IOptions<CaptureOptions>>().Value;
        using var source = services.GetRequiredService<IFrameSourceFactory>().Create();
        try
        {
            source.Open();
            Directory.CreateDirectory(folder);
            output.WriteLine($"capturing {views} views from {source.Description}: hold the board still, then move and tilt it to the next place; cover the whole image (Ctrl+C stops early)");
            var kept = BoardViewCapture.Run(source, detector, views, folder, output, cancellationToken);
            output.WriteLine($"kept {kept} views in {Path.GetFullPath(folder)}");
            return kept >= IntrinsicsCalibration.MinimumViews
                ? null
                : LabCommandLine.UsageError(error, Name, $"kept {kept} view(s) from {source.Description}; calibration needs at least {IntrinsicsCalibration.MinimumViews}: hold the board still for a moment at each place, fully in the image.");
        }
        catch (CaptureUnavailableException ex)
        {
            error.WriteLine($"edgepose-lab {Name}: {ex.Message}");
            return CalibrateCommand.CaptureFailedExitCode;
        }
    }
}
