using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgePose.Core.Datasets;
using EdgePose.Lab.Cli;
using EdgePose.Lab.Datasets;

namespace EdgePose.Daemon.Tests.Eval;

/// <summary>
/// The README's path from failures to evaluation and training: the daemon captures the frames its model failed on, a
/// labeller writes their true poses into scene_gt.json, <c>edgepose-lab eval</c> scores the split and
/// <c>edgepose-lab label</c> derives the keypoints training reads.
/// </summary>
public sealed class CapturedFailuresEvalTests : IDisposable
{
    private readonly EvalCommandTests.TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_captured_split_once_labelled_is_scored_by_eval_and_gets_training_keypoints()
    {
        var root = _folder.File("captures");
        await using (await RunningDaemon.StartAsync(new Dictionary<string, string?>
        {
            // No model: every frame falls back, so every frame is a failure to capture.
            ["EdgePose:Inference:ModelPath"] = "",
            ["EdgePose:FailureCapture:Directory"] = root,
            ["EdgePose:FailureCapture:MinInterval"] = "00:00:00.100",
        }))
        {
            await RunningDaemon.WaitUntilAsync(
                () => Task.FromResult(Served(root)?.Values.Count(f => f.Poses[0].Source == "baseline") >= 2),
                TimeSpan.FromSeconds(60),
                "two captured frames on which the baseline answered");
        }

        var split = Path.GetFileName(Assert.Single(Directory.GetDirectories(root, "failures-*")));
        var scene = BopFormat.ScenePath(root, split);
        var groundTruth = Read<Dictionary<int, BopGroundTruth[]>>(Path.Combine(scene, BopFormat.SceneGroundTruthFile));
        var info = Read<Dictionary<int, BopGroundTruthInfo[]>>(Path.Combine(scene, BopFormat.SceneGroundTruthInfoFile));
        Assert.All(groundTruth.Values, Assert.Empty);

        // The labeller: a person checks each frame and writes the true pose; here the baseline's served pose stands in for it
        // where the baseline answered, and the frames where nothing was found stay unlabelled.
        var labelled = 0;
        foreach (var (imageId, frame) in Served(root)!)
        {
            var served = frame.Poses[0];
            if (served.Source == "baseline")
            {
                groundTruth[imageId] = [new BopGroundTruth(served.CamRM2C!, served.CamTM2C!, served.ObjectId)];
                info[imageId] = [new BopGroundTruthInfo([0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 1)];
                labelled++;
            }
        }

        File.WriteAllText(Path.Combine(scene, BopFormat.SceneGroundTruthFile), JsonSerializer.Serialize(groundTruth));
        File.WriteAllText(Path.Combine(scene, BopFormat.SceneGroundTruthInfoFile), JsonSerializer.Serialize(info));

        var output = _folder.File("out");
        var error = new StringWriter();
        var code = await LabCommandLine.InvokeAsync(
            ["eval", "--data", root, "--split", split, "--out", output, "--estimators", "baseline", "--set", "EdgePose:Inference:ModelPath="],
            new InvocationConfiguration { Output = new StringWriter(), Error = error });
        Assert.True(code == 0, error.ToString());

        // The baseline, run again on the saved (lossless) frames, finds the poses it served.
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "report.json")))!;
        Assert.Equal(labelled, report["dataset"]!["samples"]!.GetValue<int>());
        var baseline = report["estimators"]!["baseline"]!;
        Assert.Equal(1, baseline["found_rate"]!.GetValue<double>());
        Assert.InRange(baseline["position_error_m"]!["max"]!.GetValue<double>(), 0, 0.001);

        // For training: label derives the keypoints train.py learns from the labelled poses.
        var labelOutput = new StringWriter();
        code = await LabCommandLine.InvokeAsync(["label", "--data", root, "--split", split], new InvocationConfiguration { Output = labelOutput, Error = error });
        Assert.True(code == 0, error.ToString());
        Assert.Contains($"{labelled} labelled object(s)", labelOutput.ToString());
        var dataset = BopDatasetReader.Read(root, split);
        Assert.All(dataset.Frames, frame =>
        {
            Assert.Equal(frame.GroundTruth.Count, frame.Facts.Count);
            if (frame.GroundTruth.Count == 1)
            {
                // Keypoint 8 is the box centre, the model origin: its projection is K · t (the default camera has no distortion).
                var (facts, t, k) = (frame.Facts[0], frame.GroundTruth[0].CamTM2C, frame.Camera.CamK);
                Assert.Equal(9, facts.Keypoints2D.Count);
                Assert.Equal(k[0] * t[0] / t[2] + k[2], facts.Keypoints2D[8][0], 6);
                Assert.Equal(k[4] * t[1] / t[2] + k[5], facts.Keypoints2D[8][1], 6);
                Assert.Equal(Math.Sqrt(t.Sum(v => v * v)) / BopFormat.MillimetresPerMetre, facts.DistanceMeters, 9);
                Assert.Null(facts.MarkerVisible);
            }
        });
    }

    private static Dictionary<int, BopServedFrame>? Served(string root)
    {
        var split = Directory.Exists(root) ? Directory.GetDirectories(root, "failures-*").SingleOrDefault() : null;
        var path = split is null ? null : Path.Combine(split, BopFormat.SceneFolder, BopFormat.SceneServedFile);
        return File.Exists(path) ? Read<Dictionary<int, BopServedFrame>>(path) : null;
    }

    private static T Read<T>(string path) => JsonSerializer.Deserialize<T>(File.ReadAllText(path))!;
}
