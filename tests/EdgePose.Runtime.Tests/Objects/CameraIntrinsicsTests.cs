using EdgePose.Core.Objects;
using EdgePose.Runtime.Tests.Inference;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgePose.Runtime.Tests.Objects;

public sealed class CameraIntrinsicsTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("camera.yaml")]
    [InlineData("camera.xml")]
    public void A_calibration_written_by_cv_FileStorage_loads_back(string name)
    {
        var path = _directory.File(name);
        var camera = new CameraIntrinsics(912.5, 910.25, 641.5, 359.75, [0.1, -0.25, 0.001, -0.002, 0.05], 1280, 720);

        CameraCalibrationFile.Save(path, camera);
        var loaded = CameraCalibrationFile.Load(path);

        Assert.Equal((camera.Fx, camera.Fy, camera.Cx, camera.Cy, camera.Width, camera.Height), (loaded.Fx, loaded.Fy, loaded.Cx, loaded.Cy, loaded.Width, loaded.Height));
        Assert.Equal(camera.Distortion.ToArray(), loaded.Distortion.ToArray());
    }

    [Fact]
    public void A_missing_or_incomplete_calibration_says_what_is_wrong()
    {
        var missing = _directory.File("nope.yaml");
        Assert.Contains("does not exist", Assert.Throws<InvalidDataException>(() => CameraCalibrationFile.Load(missing)).Message);

        var incomplete = _directory.File("incomplete.yaml");
        File.WriteAllText(incomplete, "%YAML:1.0\n---\nimage_width: 640\nimage_height: 480\n");
        Assert.Contains("camera_matrix", Assert.Throws<InvalidDataException>(() => CameraCalibrationFile.Load(incomplete)).Message);
    }

    [Fact]
    public void Intrinsics_follow_a_resized_image()
    {
        var camera = new CameraIntrinsics(600, 600, 319.5, 239.5, [], 640, 480);

        var half = camera.ScaledTo(320, 240);

        Assert.Equal((300.0, 300.0, 159.5, 119.5), (half.Fx, half.Fy, half.Cx, half.Cy));
        Assert.Same(camera, camera.ScaledTo(640, 480));
    }

    [Fact]
    public void The_workcell_reads_the_calibration_file_and_rejects_a_bad_marker_dictionary()
    {
        var path = _directory.File("camera.yaml");
        CameraCalibrationFile.Save(path, new CameraIntrinsics(700, 700, 320, 240, [], 640, 480));

        var workcell = Build(new() { ["EdgePose:Workcell:Camera:CalibrationFile"] = path }).GetRequiredService<Workcell>();
        Assert.Equal(700, workcell.Camera.Fx);
        Assert.Equal("box", Assert.Single(workcell.Objects).Id);

        var error = Assert.Throws<OptionsValidationException>(() =>
            Build(new() { ["EdgePose:Workcell:Objects:0:Marker:Dictionary"] = "Dict9X9" }).GetRequiredService<IOptions<WorkcellOptions>>().Value);
        Assert.Contains("EdgePose:Workcell:Objects:0:Marker:Dictionary = 'Dict9X9'", error.Message);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings) =>
        new ServiceCollection().AddWorkcell(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).BuildServiceProvider();
}
