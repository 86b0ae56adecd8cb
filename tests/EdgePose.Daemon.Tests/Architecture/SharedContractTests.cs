using System.Globalization;
using System.Text.Json;
using EdgePose.Core.Contract;
using EdgePose.Core.Geometry;
using EdgePose.Core.Objects;
using EdgePose.Core.Poses;
using EdgePose.Daemon.Tests.Deploy;
using EdgePose.Runtime.Inference;
using Microsoft.ML.OnnxRuntime;

namespace EdgePose.Daemon.Tests.Architecture;

/// <summary>
/// models/contract.json is what the training recipe and the runtime share: the runtime reads it embedded in EdgePose.Core,
/// the recipe (posenet.py) reads the file. These tests hold both sides, and the model we ship, to it.
/// </summary>
public sealed class SharedContractTests
{
    private static readonly ModelContractFile Contract = ModelContractFile.Embedded;

    [Fact]
    public void The_keypoint_order_names_the_target_objects_keypoints()
    {
        static string Sign(double v) => v < 0 ? "-" : "+";
        var names = TargetObject.DefaultBox.Keypoints
            .Select(k => k == default ? "centre" : $"x{Sign(k.X)}y{Sign(k.Y)}z{Sign(k.Z)}");
        Assert.Equal(Contract.KeypointOrder, names);
        Assert.Equal(TargetObject.KeypointCount, Contract.KeypointOrder.Length);
    }

    [Fact]
    public void The_runtime_implements_the_input_the_recipe_exports()
    {
        Assert.Equal(ModelContractReader.Nchw, Contract.Input.Layout);
        Assert.Equal(ModelContractReader.Letterbox, Contract.Input.Resize);
        Assert.Contains(Contract.Input.Color, new[] { "RGB", "BGR" });
        Assert.Equal(Contract.ContractVersion, ModelContractKeys.SupportedContractVersion);
        Assert.Equal(Contract.MetadataKeys.Count, Contract.MetadataKeys.Values.Distinct().Count());
    }

    [Fact]
    public void The_bundled_model_carries_the_contract()
    {
        var path = DeployTestKit.PathOf("models/edgepose-box.onnx");
        using var session = new InferenceSession(path);
        var (contract, _) = ModelContractReader.Read(path, session);
        Assert.Equal(
            (Contract.Input.Name, Contract.Input.Width, Contract.Input.Height, Contract.Input.Color, Contract.Outputs.Keypoints, Contract.Outputs.Scores),
            (contract.InputName, contract.InputWidth, contract.InputHeight, contract.ColorOrder, contract.KeypointsOutput, contract.ScoresOutput));
        Assert.Equal(Contract.Input.Mean.ToArray(), contract.Mean.ToArray());
        Assert.Equal(Contract.Input.Std.ToArray(), contract.Std.ToArray());
        Assert.Equal(Contract.KeypointOrder.ToArray(), contract.KeypointOrder.ToArray());
    }

    [FactRequiringTorch]
    public async Task The_training_recipe_writes_the_metadata_the_runtime_reads()
    {
        const string script = """
            import json, sys
            sys.path.insert(0, "models/training")
            import posenet
            print(json.dumps({"meta": posenet.contract_metadata("box", "v"), "keypoints": posenet.KEYPOINTS,
                              "width": posenet.INPUT_WIDTH, "height": posenet.INPUT_HEIGHT, "mean": posenet.MEAN, "std": posenet.STD}))
            """;
        var (exitCode, stdout, stderr) = await DeployTestKit.RunAsync(FactRequiringTorchAttribute.Python, ["-c", script]);
        Assert.True(exitCode == 0, stderr);
        using var recipe = JsonDocument.Parse(stdout);
        var root = recipe.RootElement;
        var meta = root.GetProperty("meta").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());

        // Every key the runtime requires, with a value it accepts and the contract states.
        string[] keys =
        [
            ModelContractKeys.ContractVersion, ModelContractKeys.ModelVersion, ModelContractKeys.ObjectId, ModelContractKeys.InputName,
            ModelContractKeys.InputWidth, ModelContractKeys.InputHeight, ModelContractKeys.InputLayout, ModelContractKeys.InputColor,
            ModelContractKeys.InputMean, ModelContractKeys.InputStd, ModelContractKeys.InputResize, ModelContractKeys.KeypointOrder,
            ModelContractKeys.KeypointsOutput, ModelContractKeys.ScoresOutput,
        ];
        Assert.Equal(keys.Order(StringComparer.Ordinal), meta.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(ModelContractKeys.SupportedContractVersion, meta[ModelContractKeys.ContractVersion]);
        Assert.Equal(ModelContractKeys.ExpectedKeypointOrder, meta[ModelContractKeys.KeypointOrder]);
        Assert.Equal(Contract.Input.Name, meta[ModelContractKeys.InputName]);
        Assert.Equal(Contract.Input.Width.ToString(CultureInfo.InvariantCulture), meta[ModelContractKeys.InputWidth]);
        Assert.Equal(Contract.Input.Height.ToString(CultureInfo.InvariantCulture), meta[ModelContractKeys.InputHeight]);
        Assert.Equal(Contract.Input.Mean, meta[ModelContractKeys.InputMean]!.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)));
        Assert.Equal(Contract.Input.Std, meta[ModelContractKeys.InputStd]!.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)));
        Assert.Equal(TargetObject.KeypointCount, root.GetProperty("keypoints").GetInt32());
        Assert.Equal((Contract.Input.Width, Contract.Input.Height), (root.GetProperty("width").GetInt32(), root.GetProperty("height").GetInt32()));
        Assert.Equal(Contract.Input.Mean, root.GetProperty("mean").EnumerateArray().Select(v => v.GetSingle()));
        Assert.Equal(Contract.Input.Std, root.GetProperty("std").EnumerateArray().Select(v => v.GetSingle()));
    }

    [FactRequiringTorch]
    public async Task The_training_recipe_weighs_keypoints_by_score_as_the_runtime_does()
    {
        // train.py's reference solve (its metric, the parity fixture's poses) and OnnxPoseModel's PnP must agree on weights;
        // the scores go over as the doubles their float32 values are, as ONNX Runtime and PyTorch hand them over.
        float[] scores = [0f, 1e-30f, 0.01f, 0.05f, 0.3f, 0.5f, 0.9f, 0.99f, 1f];
        var script = $$"""
            import json, sys
            sys.path.insert(0, "models/training")
            import train
            print(json.dumps(train.keypoint_weights([{{string.Join(", ", scores.Select(s => ((double)s).ToString("R", CultureInfo.InvariantCulture)))}}]).tolist()))
            """;
        var (exitCode, stdout, stderr) = await DeployTestKit.RunAsync(FactRequiringTorchAttribute.Python, ["-c", script]);
        Assert.True(exitCode == 0, stderr);
        var recipe = JsonSerializer.Deserialize<double[]>(stdout)!;
        Assert.Equal(scores.Length, recipe.Length);
        for (var i = 0; i < scores.Length; i++)
        {
            var runtime = Contract.KeypointWeighting.Weight(scores[i]);
            Assert.True(Math.Abs(recipe[i] - runtime) <= 1e-9 * runtime, $"score {scores[i]}: recipe weight {recipe[i]}, runtime {runtime}");
        }
    }

    [FactRequiringTorch]
    public async Task The_training_recipes_pose_fit_is_the_runtimes_weighted_PnP_error_and_confidence_to_first_order()
    {
        // train.py --pose-loss teaches the scores which keypoints to trust by the pose error a score-weighted solve makes
        // from them, linearised at the true pose; it must be the error the runtime's solve (SolveEpnpRefined) makes.
        // --confidence-loss ranks the crops by the confidence of that linearised solve; it must be OnnxPoseModel's.
        var camera = new CameraIntrinsics(610, 604, 323.5, 236.25, [0, 0, 0, 0, 0], 640, 480);
        var truth = RigidTransform.FromRodrigues(new Vec3(0.4, -0.7, 0.2), new Vec3(0.05, -0.03, 0.55));
        var keypoints = TargetObject.DefaultBox.Keypoints;
        var exact = PnpSolver.Project(keypoints, camera, truth);
        // Small errors everywhere and one keypoint far off, as occlusion leaves them; its score is the lowest.
        double[][] offsets = [[0.4, -0.3], [-0.2, 0.5], [0.3, 0.1], [9.0, -6.0], [-0.5, -0.2], [0.1, 0.6], [-0.3, 0.2], [0.2, -0.4], [0.1, 0.1]];
        float[] scores = [0.8f, 0.7f, 0.9f, 0.35f, 0.6f, 0.75f, 0.85f, 0.65f, 0.95f];
        var noisy = exact.Select((p, i) => new OpenCvSharp.Point2d(p.X + offsets[i][0], p.Y + offsets[i][1])).ToArray();
        var solved = PnpSolver.SolveEpnpRefined(keypoints, noisy, camera, [.. scores.Select(Contract.KeypointWeighting.Weight)]);
        Assert.NotNull(solved);
        var tolerance = GraspTolerance.Default;
        var runtime = Math.Sqrt(
            Math.Pow(solved.Pose.PositionErrorTo(truth) / tolerance.PositionMeters, 2)
            + Math.Pow(solved.Pose.AngleErrorDegreesTo(truth) / tolerance.AngleDegrees, 2));
        var runtimeConfidence = OnnxPoseModel.Confidence(scores.Sum(s => (double)s), solved, tolerance);

        static string List(IEnumerable<double> values) => "[" + string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";
        var script = $$"""
            import sys
            import numpy as np, torch
            sys.path.insert(0, "models/training")
            import train
            points = np.array({{List(keypoints.SelectMany(k => new[] { k.X, k.Y, k.Z }))}}).reshape(-1, 3)
            r = np.array({{List(truth.Rotation.ToRowMajor())}}).reshape(3, 3)
            t = np.array({{List([truth.Translation.X, truth.Translation.Y, truth.Translation.Z])}})
            k = np.array({{List([camera.Fx, 0, camera.Cx, 0, camera.Fy, camera.Cy, 0, 0, 1])}}).reshape(3, 3)
            scores = np.array({{List(scores.Select(s => (double)s))}})
            jacobian = torch.tensor(train.frame_pose_jacobian(points, r, t, k)[None], dtype=torch.float64)
            residuals = torch.tensor({{List(offsets.SelectMany(o => o))}}, dtype=torch.float64).reshape(1, -1, 2)
            peaks = torch.tensor(np.log(scores / (1 - scores))[None])
            error, confidence = train.linearised_pose_fit(jacobian, residuals, peaks)
            print(repr(float(error[0])), repr(float(confidence[0])))
            print(repr(train.POSITION_TOLERANCE_M), repr(float(np.degrees(train.ANGLE_TOLERANCE_RAD))), repr(train.MINIMUM_PIXEL_SIGMA),
                  repr(train.KEYPOINT_SCORE_FLOOR), repr(train.MINIMUM_KEYPOINTS))
            pixels = np.array({{List(noisy.SelectMany(p => new[] { p.X, p.Y }))}}).reshape(-1, 2)
            solved_r = np.array({{List(solved.Pose.Rotation.ToRowMajor())}}).reshape(3, 3)
            solved_t = np.array({{List([solved.Pose.Translation.X, solved.Pose.Translation.Y, solved.Pose.Translation.Z])}})
            print(repr(train.runtime_confidence(points, pixels, k, solved_r, solved_t, scores)))
            """;
        var (exitCode, stdout, stderr) = await DeployTestKit.RunAsync(FactRequiringTorchAttribute.Python, ["-c", script]);
        Assert.True(exitCode == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var (recipe, recipeConfidence) = lines[0].Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray() switch
        {
            [var e, var c] => (e, c),
            _ => throw new FormatException($"expected error and confidence, got {lines[0]}"),
        };
        var recipeConstants = lines[1].Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        // The recipe measures errors in the grasp's tolerances, which the runtime's confidence is judged against too.
        Assert.Equal(tolerance.PositionMeters, recipeConstants[0], 1e-12);
        Assert.Equal(tolerance.AngleDegrees, recipeConstants[1], 1e-12);
        Assert.Equal(PnpSolver.MinimumPixelSigma, recipeConstants[2]);
        Assert.Equal(new InferenceOptions().KeypointScoreFloor, recipeConstants[3]);
        Assert.Equal(OnnxPoseModel.MinimumKeypoints, recipeConstants[4]);
        Assert.True(runtime > 0.1, $"the case should move the pose measurably; it moved {runtime} tolerances");
        Assert.True(Math.Abs(recipe - runtime) <= 0.05 * runtime, $"recipe's linearised error {recipe} tolerances, runtime's solve {runtime}");
        Assert.True(runtimeConfidence is > 0.05 and < 0.95, $"the case should leave the confidence off its bounds; it is {runtimeConfidence}");
        Assert.True(
            Math.Abs(recipeConfidence - runtimeConfidence) <= 0.05 * runtimeConfidence,
            $"recipe's linearised confidence {recipeConfidence}, runtime's {runtimeConfidence}");
        // train.py's metric ranks its evaluation frames by the runtime's confidence, computed exactly at the solved pose.
        var recipeExactConfidence = double.Parse(lines[2], CultureInfo.InvariantCulture);
        Assert.True(
            Math.Abs(recipeExactConfidence - runtimeConfidence) <= 1e-9,
            $"recipe's runtime_confidence {recipeExactConfidence}, runtime's {runtimeConfidence}");
    }
}

/// <summary>Skipped, saying how to get it, where Debian's PyTorch (what posenet.py imports) is not installed.</summary>
public sealed class FactRequiringTorchAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    public FactRequiringTorchAttribute()
    {
        using var probe = File.Exists(Python) ? System.Diagnostics.Process.Start(Python, ["-c", "import torch, onnx"]) : null;
        if (probe is null || !probe.WaitForExit(TimeSpan.FromMinutes(1)) || probe.ExitCode != 0)
        {
            Skip = "PyTorch for /usr/bin/python3 is not installed: apt-get install python3-torch python3-onnx (models/training/train.sh installs it)";
        }
    }
}
