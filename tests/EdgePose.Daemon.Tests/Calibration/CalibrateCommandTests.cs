using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Daemon.Hosting;
using EdgePose.Daemon.Tests.Eval;
using EdgePose.Lab.Calibration;
using EdgePose.Lab.Cli;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenCvSharp;
using Xunit.Abstractions;

namespace EdgePose.Daemon.Tests.Calibration;

/// <summary>
/// <c>edgepose-lab calibrate</c> through the real command line on ChArUco views rendered with known intrinsics and poses
/// (<see cref="CharucoViewRenderer"/>), read back through the daemon's own calibration reader and options binding.
/// Tolerances (README, Calibration): fx, fy within 1 %, cx, cy within 2 px, RMS below 0.5 px; CameraToBase within 2 mm and 0.5°.
/// </summary>
public sealed class CalibrateCommandTests : IClassFixture<CalibrateCommandTests.BoardViews>
{
    private const double FocalTolerance = 0.01;
    private const double PrincipalPointTolerancePx = 2;
    private const double MaximumRmsPx = 0.5;
    private const double PositionToleranceMeters = 0.002;
    private const double AngleToleranceDegrees = 0.5;

    /// <summary>A camera that is not the daemon's default, with fx ≠ fy and an off-centre principal point.</summary>
    internal static readonly CameraIntrinsics TrueCamera = new(610, 604, 323.5, 236.25, [], 640, 480);

    /// <summary>The camera's pose in the robot base: above the table, looking down and across it.</summary>
    internal static readonly RigidTransform TrueCameraToBase = new(
        Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(-160, 8, 92)), new Vec3(0.55, -0.20, 0.95));

    /// <summary>Where the board sits on the gripper: a bracket offset and turned, unknown to the calibration.</summary>
    internal static readonly RigidTransform BoardToGripper = new(
        Rotation3.FromRollPitchYaw(RollPitchYaw.FromDegrees(175, -3, 90)), new Vec3(0.012, -0.025, 0.06));

    /// <summary>Board centre in the camera (metres) and tilt (roll, pitch, yaw degrees): spread over the image, tilted about every axis.</summary>
    private static readonly (double X, double Y, double Z, double Roll, double Pitch, double Yaw)[] Views =
    [
        (0.00, 0.00, 0.50, 0, 0, 0), (-0.08, -0.05, 0.55, 25, -20, 5), (0.08, -0.05, 0.55, 25, 20, -5), (-0.08, 0.05, 0.55, -25, -20, 10),
        (0.08, 0.05, 0.55, -25, 20, -10), (0.00, 0.00, 0.45, 0, 35, 0), (0.00, 0.00, 0.50, 35, 0, 0), (0.00, 0.00, 0.60, -30, -5, 30),
        (-0.06, 0.00, 0.50, 5, -35, -15), (0.06, 0.00, 0.50, -5, 35, 15), (0.00, -0.05, 0.50, 30, 10, 0), (0.00, 0.05, 0.50, -30, -10, 0),
    ];

    private readonly BoardViews _views;
    private readonly ITestOutputHelper _log;

    public CalibrateCommandTests(BoardViews views, ITestOutputHelper log) => (_views, _log) = (views, log);

    [Fact]
    public async Task Intrinsics_from_a_folder_are_recovered_and_the_daemon_reads_them()
    {
        using var output = new EvalCommandTests.TempFolder();
        var file = output.File("camera.yaml");
        var (code, stdout, stderr) = await Lab("calibrate", "intrinsics", "--images", _views.Folder, "--out", file);
        Assert.True(code == 0, stderr + stdout);

        var camera = DaemonWorkcell(new() { ["EdgePose:Workcell:Camera:CalibrationFile"] = file }).Camera;
        _log.WriteLine(stdout);
        AssertRecovered(camera);
        Assert.True(CameraIntrinsics.IsSupportedDistortion(camera.Distortion));
        var rms = CameraCalibrationFile.ReadReprojectionError(file);
        Assert.NotNull(rms);
        Assert.InRange(rms.Value, 0.001, MaximumRmsPx);
        Assert.Contains(FormattableString.Invariant($"RMS reprojection error {rms:0.000} px over {Views.Length} views"), stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Intrinsics_from_the_daemons_capture_source_keep_each_still_view_once()
    {
        // The board held still at each place for three frames, then moved: every place is one view.
        using var stream = new EvalCommandTests.TempFolder();
        var frames = Directory.GetFiles(_views.Folder, "view_*.png").Order(StringComparer.Ordinal).SelectMany(f => Enumerable.Repeat(f, 3)).ToArray();
        for (var i = 0; i < frames.Length; i++)
        {
            File.Copy(frames[i], stream.File(string.Create(CultureInfo.InvariantCulture, $"frame_{i:D3}.png")));
        }

        using var output = new EvalCommandTests.TempFolder();
        var saved = Path.Combine(output.Path, "views");
        var file = output.File("camera.xml");
        var (code, stdout, stderr) = await Lab(
            "calibrate", "intrinsics", "--from-capture", "--views", "20", "--images", saved, "--out", file,
            "--source", "Images", "--set", $"EdgePose:Capture:ImagesDirectory={stream.Path}", "--set", "EdgePose:Capture:FramesPerSecond=200");
        Assert.True(code == 0, stderr + stdout);

        _log.WriteLine(stdout);
        Assert.Equal(Views.Length, Directory.GetFiles(saved, "view_*.png").Length);
        AssertRecovered(CameraCalibrationFile.Load(file));
    }

    [Fact]
    public async Task A_board_that_never_holds_still_gives_no_views()
    {
        using var output = new EvalCommandTests.TempFolder();
        var saved = Path.Combine(output.Path, "views");
        var (code, _, stderr) = await Lab(
            "calibrate", "intrinsics", "--from-capture", "--images", saved, "--out", output.File("camera.yaml"),
            "--source", "Images", "--set", $"EdgePose:Capture:ImagesDirectory={_views.Folder}", "--set", "EdgePose:Capture:FramesPerSecond=200");

        Assert.Equal(2, code);
        Assert.StartsWith("edgepose-lab calibrate intrinsics: kept 0 view(s) from images ", stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(saved));
        Assert.False(File.Exists(output.File("camera.yaml")));
    }

    [Fact]
    public async Task Hand_eye_recovers_CameraToBase_and_the_daemon_binds_it()
    {
        using var output = new EvalCommandTests.TempFolder();
        var intrinsics = output.File("camera.yaml");
        CameraCalibrationFile.Save(intrinsics, TrueCamera);
        var fragment = output.File("camera_to_base.json");
        var (code, stdout, stderr) = await Lab("calibrate", "hand-eye", "--poses", _views.PosesFile, "--calibration", intrinsics, "--out", fragment);
        Assert.True(code == 0, stderr + stdout);

        using var configuration = new ConfigurationManager();
        DaemonConfiguration.Apply(configuration, fragment, new Dictionary<string, string?>());
        using var services = new ServiceCollection().AddWorkcell(configuration).BuildServiceProvider();
        var cameraToBase = services.GetRequiredService<Workcell>().CameraToBase;
        Assert.NotNull(cameraToBase);
        var error = (Meters: cameraToBase.Value.PositionErrorTo(TrueCameraToBase), Degrees: cameraToBase.Value.AngleErrorDegreesTo(TrueCameraToBase));
        _log.WriteLine(stdout + File.ReadAllText(fragment) + FormattableString.Invariant($"CameraToBase error {error.Meters * 1000:0.000} mm, {error.Degrees:0.0000} deg"));
        Assert.True(error.Meters < PositionToleranceMeters && error.Degrees < AngleToleranceDegrees, $"CameraToBase off by {error.Meters * 1000:0.00} mm, {error.Degrees:0.000} deg\n{stdout}");
    }

    [Fact]
    public async Task Hand_eye_with_too_few_poses_exits_2_and_writes_nothing()
    {
        using var output = new EvalCommandTests.TempFolder();
        var poses = output.File("poses.json");
        _views.WritePoses(poses, count: 2);

        var intrinsics = output.File("camera.yaml");
        CameraCalibrationFile.Save(intrinsics, TrueCamera);
        var (code, _, stderr) = await Lab("calibrate", "hand-eye", "--poses", poses, "--calibration", intrinsics, "--out", output.File("out.json"));
        Assert.Equal(2, code);
        Assert.StartsWith("edgepose-lab calibrate hand-eye: the board was found at 2 robot pose(s)", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output.File("out.json")));
    }

    [Theory]
    [InlineData("""[{"image": "view_00.png", "translationMeters": [0.4, 0.1], "rotationVectorRadians": [0, 0, 0]}]""", "pose 0: \"translationMeters\" must be 3 finite numbers.")]
    [InlineData("""[{"translationMeters": [0.4, 0.1, 0.3], "rotationVectorRadians": [0, 0, 0]}]""", "pose 0: \"image\" is required.")]
    [InlineData("""{"image": "view_00.png"}""", "is not a JSON array of poses")]
    [InlineData("""[{"image": "missing.png", "translationMeters": [0.4, 0.1, 0.3], "rotationVectorRadians": [0, 0, 0]}]""", "missing.png: missing or not a readable image.")]
    public async Task A_bad_robot_pose_file_exits_2_saying_what_is_wrong(string json, string expected)
    {
        using var output = new EvalCommandTests.TempFolder();
        var poses = output.File("poses.json");
        File.WriteAllText(poses, json);
        File.Copy(Path.Combine(_views.Folder, "view_00.png"), output.File("view_00.png"));
        var intrinsics = output.File("camera.yaml");
        CameraCalibrationFile.Save(intrinsics, TrueCamera);

        var (code, _, stderr) = await Lab("calibrate", "hand-eye", "--poses", poses, "--calibration", intrinsics, "--out", output.File("out.json"));

        Assert.Equal(2, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("edgepose-lab calibrate hand-eye: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.False(File.Exists(output.File("out.json")));
    }

    [Theory]
    [InlineData("--marker-length", "0.03", "--marker-length = '0.03': must be smaller than --square-length")]
    [InlineData("--squares-x", "2", "--squares-x = '2': must be between 3 and 50.")]
    [InlineData("--dictionary", "dict9x9", "--dictionary = 'dict9x9': must be one of")]
    public async Task A_bad_board_exits_2_naming_the_option(string option, string value, string expected)
    {
        using var output = new EvalCommandTests.TempFolder();
        var (code, _, stderr) = await Lab("calibrate", "intrinsics", "--images", _views.Folder, "--out", output.File("camera.yaml"), option, value);
        Assert.Equal(2, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.StartsWith("edgepose-lab calibrate intrinsics: ", line, StringComparison.Ordinal);
        Assert.False(File.Exists(output.File("camera.yaml")));
    }

    [Fact]
    public async Task The_printable_board_is_the_board_the_detector_finds()
    {
        using var output = new EvalCommandTests.TempFolder();
        var png = output.File("board.png");
        var (code, stdout, stderr) = await Lab("calibrate", "board", "--out", png, "--dpi", "150");
        Assert.True(code == 0, stderr + stdout);

        using var image = Cv2.ImRead(png);
        // 30 mm squares at 150 dpi are 177 px, with half a square of margin on each side.
        Assert.Equal((7 * 177) + (2 * 88), image.Width);
        using var detector = new CharucoBoardDetector(CharucoBoardSpec.Default);
        Assert.Equal(CharucoBoardSpec.Default.CornerCount, detector.Detect(image)?.Ids.Length);
    }

    private static void AssertRecovered(CameraIntrinsics camera)
    {
        Assert.Equal((TrueCamera.Width, TrueCamera.Height), (camera.Width, camera.Height));
        Assert.InRange(camera.Fx / TrueCamera.Fx, 1 - FocalTolerance, 1 + FocalTolerance);
        Assert.InRange(camera.Fy / TrueCamera.Fy, 1 - FocalTolerance, 1 + FocalTolerance);
        Assert.InRange(camera.Cx - TrueCamera.Cx, -PrincipalPointTolerancePx, PrincipalPointTolerancePx);
        Assert.InRange(camera.Cy - TrueCamera.Cy, -PrincipalPointTolerancePx, PrincipalPointTolerancePx);
    }

    private static Workcell DaemonWorkcell(Dictionary<string, string?> settings) =>
        new ServiceCollection().AddWorkcell(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).BuildServiceProvider().GetRequiredService<Workcell>();

    private static async Task<(int Code, string Output, string Error)> Lab(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = await LabCommandLine.InvokeAsync(args, new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>The rendered views (view_NN.png) and the robot poses that would have shown them (poses.json), made once.</summary>
    public sealed class BoardViews : IDisposable
    {
        private readonly EvalCommandTests.TempFolder _folder = new();

        private readonly List<(string Image, RigidTransform GripperToBase)> _stops = [];

        public BoardViews()
        {
            var spec = CharucoBoardSpec.Default;
            for (var i = 0; i < Views.Length; i++)
            {
                var v = Views[i];
                var boardToCamera = CharucoViewRenderer.Facing(spec, new Vec3(v.X, v.Y, v.Z), v.Roll, v.Pitch, v.Yaw);
                var image = Path.Combine(Folder, string.Create(CultureInfo.InvariantCulture, $"view_{i:D2}.png"));
                using (var rendered = CharucoViewRenderer.Render(spec, TrueCamera, boardToCamera, noiseSigma: 2, seed: i))
                {
                    Cv2.ImWrite(image, rendered);
                }

                // T_base_gripper = T_base_camera · T_camera_board · T_board_gripper: what the controller reports at that stop.
                _stops.Add((image, TrueCameraToBase * boardToCamera * BoardToGripper.Inverse()));
            }

            WritePoses(PosesFile, _stops.Count);
        }

        public string Folder => _folder.Path;

        /// <summary>Beside the images, so it is not an image of the folder; named in the folder, images relative to it.</summary>
        public string PosesFile => _folder.File("poses.json");

        /// <summary>The first <paramref name="count"/> stops in the documented robot pose format, images relative to the file.</summary>
        public void WritePoses(string path, int count)
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
            File.WriteAllText(path, JsonSerializer.Serialize(_stops.Take(count).Select(s => new
            {
                image = Path.GetRelativePath(folder, s.Image),
                translationMeters = s.GripperToBase.Translation.ToArray(),
                rotationVectorRadians = s.GripperToBase.Rotation.ToRodrigues().ToArray(),
            })));
        }

        public void Dispose() => _folder.Dispose();
    }
}
