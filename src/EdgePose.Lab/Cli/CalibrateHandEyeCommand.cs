using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Daemon.Cli;
using EdgePose.Lab.Calibration;
using OpenCvSharp;

namespace EdgePose.Lab.Cli;

/// <summary>
/// <c>edgepose-lab calibrate hand-eye</c>: T_base_camera for a camera fixed in the cell (eye-to-hand) from board images taken
/// with the board on the gripper at several robot poses. Writes the EdgePose:Workcell:Camera:CameraToBase settings as a
/// configuration file fragment.
/// </summary>
internal sealed class CalibrateHandEyeCommand
{
    private const string Name = "calibrate hand-eye";

    private readonly BoardOptions _board = new();
    private readonly Option<string?> _poses = new("--poses")
    {
        Description = "JSON array, one entry per board image: {\"image\": \"pose_00.png\", \"translationMeters\": [x, y, z], \"rotationVectorRadians\": [rx, ry, rz]}, the gripper's pose in the robot base frame (T_base_gripper); images relative to the file.",
    };

    private readonly Option<string?> _calibration = new("--calibration") { Description = "The camera's intrinsics file (from calibrate intrinsics)." };
    private readonly Option<HandEyeCalibrationMethod?> _method = TypedOptions.Choice<HandEyeCalibrationMethod>(
        "--method", "cv::calibrateHandEye method (default park).");

    private readonly Option<string?> _out = new("--out") { Description = "JSON configuration fragment to write ({\"EdgePose\": {\"Workcell\": {\"Camera\": {\"CameraToBase\": …}}}})." };

    public Command Create()
    {
        var command = new Command(
            "hand-eye",
            "Compute CameraToBase (the camera's pose in the robot base frame) for a fixed camera, from board images taken with the board held by the gripper, and the robot poses.");
        foreach (var option in new Option[] { _poses, _calibration, _method, _out })
        {
            command.Options.Add(option);
        }

        _board.AddTo(command);
        command.SetAction(result => EdgePoseCommandLine.Guarded(() => Run(result, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error)));
        return command;
    }

    private int Run(ParseResult result, TextWriter output, TextWriter error)
    {
        if (!_board.TryRead(result, out var spec, out var problem))
        {
            return LabCommandLine.UsageError(error, Name, problem);
        }

        foreach (var (option, what) in new[] { (_poses, "the robot pose file"), (_calibration, "the intrinsics file from calibrate intrinsics"), (_out, "the .json file to write") })
        {
            if (string.IsNullOrWhiteSpace(result.GetValue(option)))
            {
                return LabCommandLine.UsageError(error, Name, $"{option.Name}: required, {what}.");
            }
        }

        IReadOnlyList<RobotPose> poses;
        CameraIntrinsics camera;
        try
        {
            poses = RobotPoseFile.Load(result.GetValue(_poses)!);
            camera = CameraCalibrationFile.Load(result.GetValue(_calibration)!);
        }
        catch (InvalidDataException ex)
        {
            return LabCommandLine.UsageError(error, Name, ex.Message);
        }

        var stops = new List<(RigidTransform GripperToBase, RigidTransform BoardToCamera)>();
        using var detector = new CharucoBoardDetector(spec);
        foreach (var pose in poses)
        {
            using var image = CalibrateCommand.ReadImage(pose.Image);
            if (image is null)
            {
                return LabCommandLine.UsageError(error, Name, $"{pose.Image}: missing or not a readable image.");
            }

            // The intrinsics belong to their calibration's image size; another camera mode scales them as the daemon does.
            var boardToCamera = detector.Detect(image) is { } view ? HandEyeCalibration.BoardToCamera(view, camera.ScaledTo(image.Width, image.Height)) : null;
            if (boardToCamera is { } found)
            {
                stops.Add((pose.GripperToBase, found));
                output.WriteLine(FormattableString.Invariant($"  {Path.GetFileName(pose.Image)}: board at {found.Translation.Length:0.000} m"));
            }
            else
            {
                output.WriteLine($"  {Path.GetFileName(pose.Image)}: board not found, pose skipped");
            }
        }

        HandEyeResult calibration;
        try
        {
            calibration = HandEyeCalibration.Calibrate(stops, result.GetValue(_method) ?? HandEyeCalibrationMethod.PARK);
        }
        catch (InvalidDataException ex)
        {
            return LabCommandLine.UsageError(error, Name, ex.Message);
        }

        var settings = TransformOptions.FromTransform(calibration.CameraToBase);
        var path = Path.GetFullPath(result.GetValue(_out)!);
        File.WriteAllText(path, Fragment(settings));
        output.WriteLine(FormattableString.Invariant(
            $"CameraToBase: x {settings.XMeters:0.0000} y {settings.YMeters:0.0000} z {settings.ZMeters:0.0000} m, roll {settings.RollDegrees:0.000} pitch {settings.PitchDegrees:0.000} yaw {settings.YawDegrees:0.000} deg"));
        output.WriteLine(FormattableString.Invariant(
            $"consistency over {calibration.Stops} poses: the board-on-gripper transform varies by up to {calibration.MaxResidualMeters * 1000:0.0} mm and {calibration.MaxResidualDegrees:0.00} deg (a few mm and under 0.5 deg is good)"));
        output.WriteLine($"wrote {path}: merge its CameraToBase into the daemon's configuration (/etc/edgepose/edgepose.json, EdgePose:Workcell:Camera:CameraToBase)");
        return 0;
    }

    /// <summary>{"EdgePose": {"Workcell": {"Camera": {"CameraToBase": {...}}}}}, the keys the daemon's options binding reads.</summary>
    private static string Fragment(TransformOptions settings)
    {
        JsonNode node = JsonSerializer.SerializeToNode(settings)!;
        var path = $"{WorkcellOptions.SectionName}:{nameof(WorkcellOptions.Camera)}:{nameof(CameraOptions.CameraToBase)}".Split(':');
        foreach (var key in path.Reverse())
        {
            node = new JsonObject { [key] = node };
        }

        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine;
    }
}
