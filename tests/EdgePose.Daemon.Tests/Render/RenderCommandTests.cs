using System.CommandLine;
using System.Globalization;
using EdgePose.Lab.Cli;
using EdgePose.Lab.Datasets;
using EdgePose.Core.Objects;

namespace EdgePose.Daemon.Tests.Render;

/// <summary><c>edgepose-lab render</c> through the real command line, on a small dataset rendered once per test class.</summary>
public sealed class RenderCommandTests : IClassFixture<RenderCommandTests.SmallDataset>
{
    private const int Frames = 12;
    private readonly SmallDataset _dataset;

    public RenderCommandTests(SmallDataset dataset) => _dataset = dataset;

    [Fact]
    public void Writes_the_BOP_files()
    {
        var root = _dataset.Root;
        Assert.True(File.Exists(Path.Combine(root, "camera.json")));
        Assert.True(File.Exists(Path.Combine(root, "models", "obj_000001.ply")));
        Assert.True(File.Exists(Path.Combine(root, "models", "models_info.json")));
        var scene = Path.Combine(root, "train", "000000");
        foreach (var file in new[] { "scene_camera.json", "scene_gt.json", "scene_gt_info.json", "scene_edgepose.json" })
        {
            Assert.True(File.Exists(Path.Combine(scene, file)), file);
        }

        Assert.Equal(Enumerable.Range(0, Frames).Select(i => $"{i:D6}.png"), Directory.GetFiles(Path.Combine(scene, "rgb")).Select(Path.GetFileName).Order());
        var dataset = BopDatasetReader.Read(root, "train");
        Assert.Equal((320, 240, 300.0, 300.0, 159.75, 119.75), (dataset.Camera.Width, dataset.Camera.Height, dataset.Camera.Fx, dataset.Camera.Fy, dataset.Camera.Cx, dataset.Camera.Cy));
        var model = Assert.Single(dataset.Models);
        Assert.Equal(TargetObject.DefaultBox.DatasetId, model.Key);
        Assert.Equal(TargetObject.DefaultBox.Diameter * 1000, model.Value.Diameter, 9);
        Assert.Empty(model.Value.SymmetriesDiscrete);
        using var image = OpenCvSharp.Cv2.ImRead(dataset.Frames[0].RgbPath);
        Assert.Equal((320, 240), (image.Width, image.Height));
    }

    [Fact]
    public void Ground_truth_is_the_renderer_truth_in_millimetres()
    {
        var dataset = BopDatasetReader.Read(_dataset.Root, "train");
        Assert.Equal(Frames, dataset.Frames.Count);
        using var renderer = new EdgePose.Simulation.Scene.SyntheticSceneRenderer(
            new EdgePose.Simulation.Scene.SyntheticSceneOptions { Seed = 5, Trajectory = EdgePose.Simulation.Scene.TrajectoryKind.Random, ClutterShapes = 10, OcclusionProbability = 0.5, MarkerHiddenProbability = 0.3 },
            CameraIntrinsics.Default640x480.ScaledTo(320, 240),
            [TargetObject.DefaultBox]);
        foreach (var frame in dataset.Frames)
        {
            using var scene = renderer.Render(frame.ImageId);
            var truth = Assert.Single(scene.Truth.Objects);
            var gt = Assert.Single(frame.GroundTruth);
            var info = Assert.Single(frame.Info);
            var facts = Assert.Single(frame.Facts);
            Assert.Equal(truth.Pose.Translation.ToArray().Select(v => v * 1000), gt.CamTM2C);
            Assert.Equal(truth.Pose.Rotation.ToRowMajor(), gt.CamRM2C);
            AssertRotation(gt.CamRM2C);
            Assert.Equal(truth.MarkerVisible, facts.MarkerVisible);
            Assert.Equal(truth.DistanceMeters, facts.DistanceMeters);
            Assert.InRange(info.PixelCountVisible, 0, info.PixelCountAll);
            Assert.Equal((double)info.PixelCountVisible / info.PixelCountAll, info.VisibleFraction, 12);
            Assert.Equal(1 - truth.OcclusionFraction, info.VisibleFraction, 9);
        }
    }

    [Fact]
    public void Ply_vertices_projected_with_the_ground_truth_land_on_the_keypoints()
    {
        var dataset = BopDatasetReader.Read(_dataset.Root, "train");
        var vertices = ReadPlyVertices(Path.Combine(_dataset.Root, "models", "obj_000001.ply"));
        Assert.Equal(8, vertices.Length);
        foreach (var frame in dataset.Frames)
        {
            var (gt, facts, k) = (frame.GroundTruth[0], frame.Facts[0], frame.Camera.CamK);
            Assert.Equal(TargetObject.KeypointCount, facts.Keypoints2D.Count);
            for (var i = 0; i < vertices.Length; i++)
            {
                var v = vertices[i];
                var r = gt.CamRM2C;
                var x = (r[0] * v[0]) + (r[1] * v[1]) + (r[2] * v[2]) + gt.CamTM2C[0];
                var y = (r[3] * v[0]) + (r[4] * v[1]) + (r[5] * v[2]) + gt.CamTM2C[1];
                var z = (r[6] * v[0]) + (r[7] * v[1]) + (r[8] * v[2]) + gt.CamTM2C[2];
                Assert.Equal(facts.Keypoints2D[i][0], (k[0] * x / z) + k[2], 1e-3);
                Assert.Equal(facts.Keypoints2D[i][1], (k[4] * y / z) + k[5], 1e-3);
            }
        }
    }

    [Fact]
    public async Task Same_arguments_give_identical_files()
    {
        using var again = new TempFolder();
        Assert.Equal(0, await Render(again.Path, "train"));
        var first = Directory.GetFiles(_dataset.Root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_dataset.Root, f)).Order().ToArray();
        var second = Directory.GetFiles(again.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(again.Path, f)).Order().ToArray();
        Assert.Equal(first, second);
        foreach (var file in first)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(_dataset.Root, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(again.Path, file))), file);
        }
    }

    [Fact]
    public async Task Refuses_a_non_empty_split_unless_forced()
    {
        using var folder = new TempFolder();
        Assert.Equal(0, await Render(folder.Path, "test", "--count", "2"));
        var error = new StringWriter();
        Assert.Equal(RenderCommand.UsageErrorExitCode, await Render(folder.Path, "test", error, "--count", "2"));
        Assert.Contains("--force", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, await Render(folder.Path, "test", "--count", "1", "--force"));
        Assert.Single(Directory.GetFiles(Path.Combine(folder.Path, "test", "000000", "rgb")));
    }

    [Theory]
    [InlineData("--max-blur", "30")]
    [InlineData("--count", "0")]
    [InlineData("--min-distance", "near")]
    [InlineData("--clutter", "2.5")]
    [InlineData("--width", "8")]
    [InlineData("--trajectory", "circle")]
    public async Task A_bad_value_exits_2_naming_the_option(string option, string value)
    {
        using var folder = new TempFolder();
        var error = new StringWriter();
        Assert.Equal(2, await Render(folder.Path, "train", error, option, value));
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"{option} = '{value}'", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "train")));
    }

    private static Task<int> Render(string root, string split, params string[] extra) => Render(root, split, new StringWriter(), extra);

    /// <summary>The small dataset's arguments; <paramref name="extra"/> replaces a flag's value or adds the flag (a bare flag is a switch).</summary>
    private static Task<int> Render(string root, string split, StringWriter error, params string[] extra)
    {
        var flags = new Dictionary<string, string?>
        {
            ["--out"] = root, ["--split"] = split, ["--count"] = Frames.ToString(CultureInfo.InvariantCulture), ["--seed"] = "5",
            ["--width"] = "320", ["--height"] = "240", ["--clutter"] = "10", ["--occlusion-probability"] = "0.5", ["--marker-hidden-probability"] = "0.3",
        };
        for (var i = 0; i < extra.Length; i++)
        {
            flags[extra[i]] = i + 1 < extra.Length && !extra[i + 1].StartsWith("--", StringComparison.Ordinal) ? extra[++i] : null;
        }

        string[] args = ["render", .. flags.SelectMany(f => f.Value is null ? [f.Key] : new[] { f.Key, f.Value })];
        return LabCommandLine.InvokeAsync(args, new InvocationConfiguration { Output = new StringWriter(), Error = error });
    }

    private static void AssertRotation(IReadOnlyList<double> r)
    {
        for (var a = 0; a < 3; a++)
        {
            for (var b = 0; b < 3; b++)
            {
                var dot = (r[a] * r[b]) + (r[3 + a] * r[3 + b]) + (r[6 + a] * r[6 + b]);
                Assert.Equal(a == b ? 1 : 0, dot, 1e-9);
            }
        }

        var det = (r[0] * ((r[4] * r[8]) - (r[5] * r[7]))) - (r[1] * ((r[3] * r[8]) - (r[5] * r[6]))) + (r[2] * ((r[3] * r[7]) - (r[4] * r[6])));
        Assert.Equal(1, det, 1e-9);
    }

    private static double[][] ReadPlyVertices(string path)
    {
        var lines = File.ReadAllLines(path);
        var count = int.Parse(lines.Single(l => l.StartsWith("element vertex ", StringComparison.Ordinal))["element vertex ".Length..], CultureInfo.InvariantCulture);
        var body = Array.IndexOf(lines, "end_header") + 1;
        return [.. lines.Skip(body).Take(count).Select(l => l.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray())];
    }

    public sealed class SmallDataset : IAsyncLifetime, IDisposable
    {
        private readonly TempFolder _folder = new();

        public string Root => _folder.Path;

        public async Task InitializeAsync() => Assert.Equal(0, await Render(Root, "train"));

        public Task DisposeAsync() => Task.CompletedTask;

        public void Dispose() => _folder.Dispose();
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("edgepose-render-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
