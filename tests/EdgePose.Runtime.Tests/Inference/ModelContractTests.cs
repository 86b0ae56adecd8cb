using EdgePose.Core.Contract;

namespace EdgePose.Runtime.Tests.Inference;

public sealed class ModelContractTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("input-size", "input 'image'", "[1,3,224,224]", "256x256")]
    [InlineData("keypoint-order", "edgepose.keypoint_order", "'centre,x-y-z-'", "x-y-z-,x+y-z-,x+y+z-,x-y+z-,x-y-z+,x+y-z+,x+y+z+,x-y+z+,centre")]
    [InlineData("missing-key", "edgepose.input_std", "missing", "requires")]
    [InlineData("output-shape", "output 'keypoints'", "[1,8,2]", "[1,9,2]")]
    [InlineData("contract-version", "edgepose.contract_version", "'2'", "'1'")]
    [InlineData("input-name", "input 'pixels'", "not in the graph", "[image]")]
    [InlineData("mean", "edgepose.input_mean", "'0.5,0.5'", "3 comma-separated")]
    [InlineData("color", "edgepose.input_color", "'GRAY'", "'RGB' or 'BGR'")]
    public void Contract_mismatch_names_file_tensor_or_key_and_expectation(string variant, string subject, string found, string expected)
    {
        var path = _directory.File($"{variant}.onnx");
        var model = new TestModelBuilder();
        model = variant switch
        {
            // The graph takes 224×224 while the metadata still says 256×256.
            "input-size" => (model with { InputWidth = 224, InputHeight = 224 })
                .WithMetadata(ModelContractKeys.InputWidth, "256").WithMetadata(ModelContractKeys.InputHeight, "256"),
            "keypoint-order" => model.WithMetadata(ModelContractKeys.KeypointOrder, "centre,x-y-z-"),
            "missing-key" => model.WithMetadata(ModelContractKeys.InputStd, null),
            "output-shape" => model with { OutputKeypointCount = 8 },
            "contract-version" => model.WithMetadata(ModelContractKeys.ContractVersion, "2"),
            "input-name" => model.WithMetadata(ModelContractKeys.InputName, "pixels"),
            "mean" => model.WithMetadata(ModelContractKeys.InputMean, "0.5,0.5"),
            "color" => model.WithMetadata(ModelContractKeys.InputColor, "GRAY"),
            _ => throw new ArgumentOutOfRangeException(nameof(variant)),
        };
        model.WriteTo(path);

        var error = Assert.Throws<ModelContractException>(() => InferenceTestKit.Load(path, InferenceTestKit.Options()));

        Assert.StartsWith($"{path}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(subject, error.Message, StringComparison.Ordinal);
        Assert.Contains(found, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Conforming_model_exposes_its_contract()
    {
        var path = new TestModelBuilder().WriteTo(_directory.File("good.onnx"));

        using var model = InferenceTestKit.Load(path, InferenceTestKit.Options());

        var contract = model.Info.Contract;
        Assert.Equal(("box", "image", 256, 256, "RGB"), (contract.ObjectId, contract.InputName, contract.InputWidth, contract.InputHeight, contract.ColorOrder));
        Assert.Equal([0.229f, 0.224f, 0.225f], contract.Std.ToArray());
        Assert.Equal("test-1", model.Info.Version);
        Assert.True(model.Handles("box"));
        Assert.False(model.Handles("lid"));
    }
}
