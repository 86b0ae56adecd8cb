using EdgePose.Core.Objects;
using EdgePose.Daemon.Tests.Deploy;

namespace EdgePose.Daemon.Tests.Cli;

/// <summary>`edgepose doctor` as a field engineer runs it, on this build (the CPU package; the GPU flavour: Deploy/GpuFlavourTests).</summary>
public sealed class DoctorCommandTests
{
    [Fact]
    public async Task Each_execution_provider_says_whether_it_loaded_why_not_and_its_device()
    {
        var (exitCode, stdout, stderr) = await DeployTestKit.RunAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "edgepose.dll"), "doctor", "--grpc-address", $"127.0.0.1:{RunningDaemon.FreePort()}",
             "--metrics-address", "", "--set", "EdgePose:Capture:Source=Synthetic", "--set", "EdgePose:Capture:AllowSynthetic=true", "--set", "EdgePose:Inference:ExecutionProviders:0=CUDA",
             "--set", "EdgePose:Inference:ExecutionProviders:1=CPU"],
            workingDirectory: AppContext.BaseDirectory);

        Assert.True(exitCode == 0, stdout + stderr);
        var lines = stdout.Split('\n');
        Assert.Equal(
            "OK   ep TensorRT    CUDA device 0: not loaded: not in this ONNX Runtime build (available: CPUExecutionProvider) (not in EdgePose:Inference:ExecutionProviders)",
            Assert.Single(lines, l => l.Contains(" ep TensorRT ", StringComparison.Ordinal)));
        Assert.Equal(
            "WARN ep CUDA        CUDA device 0: not loaded: not in this ONNX Runtime build (available: CPUExecutionProvider)",
            Assert.Single(lines, l => l.Contains(" ep CUDA ", StringComparison.Ordinal)));
        Assert.Equal("OK   ep CPU         CPU: loaded", Assert.Single(lines, l => l.Contains(" ep CPU ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("OK   model", StringComparison.Ordinal) && l.EndsWith(" on CPU", StringComparison.Ordinal));
        // The report says why CUDA is not used; its log warning would only repeat it.
        Assert.DoesNotContain("1104", stdout + stderr);
    }

    [Theory]
    [InlineData("Camera", "", "WARN calibration    a real camera (Camera) on the default inline intrinsics fx 600 fy 600 cx 320 cy 240: poses will be off;")]
    [InlineData("Camera", "EdgePose:Workcell:Camera:Fx=712.5", "OK   calibration    inline intrinsics fx 712.5 fy 600 cx 320 cy 240")]
    [InlineData("Synthetic", "", "OK   calibration    inline intrinsics fx 600 fy 600 cx 320 cy 240")]
    [InlineData("Camera", "EdgePose:Workcell:Camera:CalibrationFile={file}", "OK   calibration    intrinsics from {file} (RMS reprojection error 0.09 px)")]
    public async Task Warns_when_a_real_camera_runs_on_the_default_intrinsics(string source, string setting, string expected)
    {
        // A calibration file as edgepose-lab calibrate intrinsics writes it, with its reprojection error.
        var file = Path.Combine(Directory.CreateTempSubdirectory("edgepose-doctor-").FullName, "camera.yaml");
        CameraCalibrationFile.Save(file, new CameraIntrinsics(610, 604, 323.5, 236.25, [0.01, -0.02, 0, 0, 0], 640, 480), reprojectionErrorPx: 0.0934);
        (setting, expected) = (setting.Replace("{file}", file, StringComparison.Ordinal), expected.Replace("{file}", file, StringComparison.Ordinal));

        // No camera device here: with Source=Camera the camera check fails (exit 1), the calibration line is what is checked.
        string[] extra = setting.Length > 0 ? ["--set", setting] : [];
        var (_, stdout, stderr) = await DeployTestKit.RunAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "edgepose.dll"), "doctor", "--grpc-address", $"127.0.0.1:{RunningDaemon.FreePort()}",
             "--metrics-address", "", "--source", source, "--set", "EdgePose:Capture:AllowSynthetic=true",
             "--set", "EdgePose:Capture:CameraDevice=/dev/edgepose-no-such-camera", .. extra],
            workingDirectory: AppContext.BaseDirectory);

        Assert.True(stdout.Split('\n').Any(l => l.StartsWith(expected, StringComparison.Ordinal)), stdout + stderr);
        Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
    }
}
