using System.CommandLine;
using EdgePose.Core.Datasets;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Daemon.Cli;
using EdgePose.Lab.Datasets;
using EdgePose.Lab.Evaluation;

namespace EdgePose.Lab.Cli;

/// <summary>
/// <c>edgepose-lab label</c>: after a labeller wrote the true poses into a split's scene_gt.json (a captured failure split),
/// derives the training labels that train.py reads — scene_edgepose.json, keypoints_2d projected from each labelled pose
/// with the frame's cam_K and the workcell camera's distortion — so the split can be trained on as well as evaluated.
/// </summary>
internal sealed class LabelCommand(HostOptionsBinding binding)
{
    private readonly Option<string?> _data = new("--data") { Description = "BOP dataset root (camera.json, models/, SPLIT/000000/…)." };
    private readonly Option<string> _split = TypedOptions.Split("test", "Split whose scene_gt.json and scene_gt_info.json are labelled");

    public Command Create()
    {
        var command = new Command("label", "Derive scene_edgepose.json (keypoints for training) from a split's labelled scene_gt.json.");
        command.Options.Add(_data);
        command.Options.Add(_split);
        binding.AddTo(command);
        command.SetAction((result, _) => Task.FromResult(EdgePoseCommandLine.Guarded(() => Run(result, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error))));
        return command;
    }

    private int Run(ParseResult result, TextWriter output, TextWriter error)
    {
        var root = result.GetValue(_data);
        if (string.IsNullOrWhiteSpace(root))
        {
            return UsageError(error, "--data: required, the dataset root folder.");
        }

        var split = result.GetValue(_split)!;
        BopDataset dataset;
        try
        {
            dataset = BopDatasetReader.Read(root, split, withFacts: false);
        }
        catch (BopDatasetException ex)
        {
            return UsageError(error, ex.Message);
        }

        var workcell = LabCommandLine.LoadWorkcell(binding, result);
        var targets = workcell.Objects.ToDictionary(o => o.DatasetId);
        var facts = new Dictionary<int, EdgePoseObjectFacts[]>();
        foreach (var frame in dataset.Frames)
        {
            var objects = new EdgePoseObjectFacts[frame.GroundTruth.Count];
            for (var i = 0; i < objects.Length; i++)
            {
                var gt = frame.GroundTruth[i];
                if (!targets.TryGetValue(gt.ObjectId, out var target))
                {
                    return UsageError(error, $"{Path.Combine(BopFormat.ScenePath(root, split), BopFormat.SceneGroundTruthFile)}: image {frame.ImageId}: obj_id {gt.ObjectId} is no workcell object's DatasetId ({string.Join(", ", targets.Keys)}).");
                }

                var pose = DatasetEvaluation.Truth(gt);
                var k = frame.Camera.CamK;
                var camera = new CameraIntrinsics(k[0], k[4], k[2], k[5], workcell.Camera.Distortion, dataset.Camera.Width, dataset.Camera.Height);
                objects[i] = new EdgePoseObjectFacts(
                    gt.ObjectId,
                    [.. PnpSolver.Project(target.Keypoints, camera, pose).Select(p => (IReadOnlyList<double>)[p.X, p.Y])],
                    MarkerVisible: null,
                    1 - frame.Info[i].VisibleFraction,
                    pose.Translation.Length,
                    BlurSigmaPx: null,
                    Brightness: null);
            }

            facts[frame.ImageId] = objects;
        }

        var path = Path.Combine(BopFormat.ScenePath(root, split), BopFormat.SceneEdgePoseFile);
        BopDatasetFiles.WriteJson(path, facts);
        output.WriteLine($"wrote {path}: {facts.Values.Sum(f => f.Length)} labelled object(s) in {facts.Values.Count(f => f.Length > 0)} of {facts.Count} image(s)");
        return 0;
    }

    private static int UsageError(TextWriter error, string message) => LabCommandLine.UsageError(error, "label", message);
}
