using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EdgePose.Core.Datasets;
using EdgePose.Lab.Cli;
using EdgePose.Lab.Datasets;

namespace EdgePose.Daemon.Tests.Eval;

/// <summary><c>edgepose-lab label</c> against the renderer, which knows every keypoint exactly.</summary>
public sealed class LabelCommandTests : IDisposable
{
    private readonly EvalCommandTests.TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task The_keypoints_derived_from_the_poses_are_the_renderers()
    {
        var root = await RenderAsync(frames: 4);
        var rendered = BopDatasetReader.Read(root, "test");

        var (code, _, error) = await LabelAsync(root);
        Assert.True(code == 0, error);

        var labelled = BopDatasetReader.Read(root, "test");
        foreach (var (before, after) in rendered.Frames.Zip(labelled.Frames))
        {
            var (truth, derived) = (before.Facts[0], after.Facts[0]);
            Assert.All(truth.Keypoints2D.Zip(derived.Keypoints2D), p =>
            {
                Assert.Equal(p.First[0], p.Second[0], 6);
                Assert.Equal(p.First[1], p.Second[1], 6);
            });
            Assert.Equal(truth.OcclusionFraction, derived.OcclusionFraction, 9);
            Assert.Equal(truth.DistanceMeters, derived.DistanceMeters, 9);
        }
    }

    [Fact]
    public async Task An_object_the_workcell_does_not_know_is_refused_naming_the_image_and_nothing_is_written()
    {
        var root = await RenderAsync(frames: 2);
        var scene = BopFormat.ScenePath(root, "test");
        var gtPath = Path.Combine(scene, BopFormat.SceneGroundTruthFile);
        var gt = JsonSerializer.Deserialize<Dictionary<int, BopGroundTruth[]>>(File.ReadAllText(gtPath))!;
        gt[1] = [gt[1][0] with { ObjectId = 99 }];
        File.WriteAllText(gtPath, JsonSerializer.Serialize(gt));
        var factsBefore = File.ReadAllText(Path.Combine(scene, BopFormat.SceneEdgePoseFile));

        var (code, _, error) = await LabelAsync(root);

        Assert.Equal(LabCommandLine.UsageErrorExitCode, code);
        Assert.Contains("image 1: obj_id 99 is no workcell object's DatasetId (1)", error);
        Assert.Equal(factsBefore, File.ReadAllText(Path.Combine(scene, BopFormat.SceneEdgePoseFile)));
    }

    private async Task<string> RenderAsync(int frames)
    {
        var root = _folder.File("data");
        string[] render =
        [
            "render", "--out", root, "--split", "test", "--count", frames.ToString(CultureInfo.InvariantCulture), "--seed", "5",
            "--width", "320", "--height", "240", "--occlusion-probability", "0.5",
        ];
        Assert.Equal(0, await LabCommandLine.InvokeAsync(render, new InvocationConfiguration { Output = new StringWriter(), Error = new StringWriter() }));
        return root;
    }

    private static async Task<(int Code, string Output, string Error)> LabelAsync(string root)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = await LabCommandLine.InvokeAsync(["label", "--data", root, "--split", "test"], new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}
