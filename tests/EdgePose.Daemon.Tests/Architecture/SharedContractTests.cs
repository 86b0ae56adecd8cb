using System.Globalization;
using System.Text.Json;
using EdgePose.Core.Contract;
using EdgePose.Core.Objects;
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
