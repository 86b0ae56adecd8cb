using System.Collections.Immutable;
using EdgePose.Core.Contract;
using EdgePose.Core.Objects;
using EdgePose.Runtime.Tests.Inference.Onnx;
using Google.Protobuf;

namespace EdgePose.Runtime.Tests.Inference;

/// <summary>
/// A small real ONNX model (opset 17) behind the EdgePose contract: it returns fixed keypoints and scores, but through
/// <c>Add(Mul(ReduceMean(image), 0), constant)</c> so the graph really consumes the input tensor.
/// </summary>
internal sealed record TestModelBuilder
{
    public const string ObjectId = "box";

    private const int IrVersion = 8;
    private const int Opset = 17;

    /// <summary>Graph input size; the contract metadata says the same unless overridden.</summary>
    public int InputWidth { get; init; } = 256;

    public int InputHeight { get; init; } = 256;

    /// <summary>Normalised (u, v) per keypoint, in the letterboxed model input.</summary>
    public ImmutableArray<float> Keypoints { get; init; } = [.. new float[2 * TargetObject.KeypointCount]];

    public ImmutableArray<float> Scores { get; init; } = [.. Enumerable.Repeat(0.95f, TargetObject.KeypointCount)];

    /// <summary>Keypoints in the output shapes ([1, K, 2] and [1, K]); the contract wants 9.</summary>
    public int OutputKeypointCount { get; init; } = TargetObject.KeypointCount;

    /// <summary>
    /// Keypoints come from reshaping the image to [1, 9, 2], which only fails once it runs: the batch dimension is
    /// symbolic, so neither shape inference nor the contract check can see the element count mismatch.
    /// </summary>
    public bool FailsAtRun { get; init; }

    /// <summary>Metadata overrides; a null value removes the key.</summary>
    public ImmutableDictionary<string, string?> MetadataOverrides { get; init; } = ImmutableDictionary<string, string?>.Empty;

    public TestModelBuilder WithMetadata(string key, string? value) => this with { MetadataOverrides = MetadataOverrides.SetItem(key, value) };

    public byte[] ToBytes()
    {
        var graph = new GraphProto { Name = "edgepose-test" };
        graph.Input.Add(Tensor("image", FailsAtRun ? [-1, 3, InputHeight, InputWidth] : [1, 3, InputHeight, InputWidth]));
        graph.Output.Add(Tensor("keypoints", [1, OutputKeypointCount, 2]));
        graph.Output.Add(Tensor("scores", [1, OutputKeypointCount]));

        graph.Initializer.Add(FloatConstant("zero", [], [0f]));
        graph.Initializer.Add(FloatConstant("keypoint_values", [1, OutputKeypointCount, 2], Resize(Keypoints, 2 * OutputKeypointCount)));
        graph.Initializer.Add(FloatConstant("score_values", [1, OutputKeypointCount], Resize(Scores, OutputKeypointCount)));

        var mean = Node("ReduceMean", ["image"], ["image_mean"]);
        mean.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        graph.Node.Add(mean);
        graph.Node.Add(Node("Mul", ["image_mean", "zero"], ["nothing"]));
        if (FailsAtRun)
        {
            var shape = new TensorProto { Name = "impossible_shape", DataType = (int)TensorProto.Types.DataType.Int64 };
            shape.Dims.Add(3);
            shape.Int64Data.Add([1, OutputKeypointCount, 2]);
            graph.Initializer.Add(shape);
            graph.Node.Add(Node("Reshape", ["image", "impossible_shape"], ["keypoints"]));
        }
        else
        {
            graph.Node.Add(Node("Add", ["nothing", "keypoint_values"], ["keypoints"]));
        }

        graph.Node.Add(Node("Add", ["nothing", "score_values"], ["scores"]));

        var model = new ModelProto { IrVersion = IrVersion, ProducerName = "EdgePose.Runtime.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in Metadata())
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return model.ToByteArray();
    }

    public string WriteTo(string path)
    {
        File.WriteAllBytes(path, ToBytes());
        return path;
    }

    private IEnumerable<KeyValuePair<string, string>> Metadata()
    {
        var metadata = new Dictionary<string, string?>
        {
            [ModelContractKeys.ContractVersion] = ModelContractKeys.SupportedContractVersion,
            [ModelContractKeys.ModelVersion] = "test-1",
            [ModelContractKeys.ObjectId] = ObjectId,
            [ModelContractKeys.InputName] = "image",
            [ModelContractKeys.InputWidth] = InputWidth.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [ModelContractKeys.InputHeight] = InputHeight.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [ModelContractKeys.InputLayout] = "NCHW",
            [ModelContractKeys.InputColor] = "RGB",
            [ModelContractKeys.InputMean] = "0.485,0.456,0.406",
            [ModelContractKeys.InputStd] = "0.229,0.224,0.225",
            [ModelContractKeys.InputResize] = "letterbox",
            [ModelContractKeys.KeypointOrder] = ModelContractKeys.ExpectedKeypointOrder,
            [ModelContractKeys.KeypointsOutput] = "keypoints",
            [ModelContractKeys.ScoresOutput] = "scores",
        };
        foreach (var (key, value) in MetadataOverrides)
        {
            metadata[key] = value;
        }

        return metadata.Where(kv => kv.Value is not null).Select(kv => KeyValuePair.Create(kv.Key, kv.Value!));
    }

    private static float[] Resize(ImmutableArray<float> values, int length)
    {
        var result = new float[length];
        values.AsSpan()[..Math.Min(length, values.Length)].CopyTo(result);
        return result;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = op, Name = $"{op}_{outputs[0]}" };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        return node;
    }

    private static TensorProto FloatConstant(string name, long[] dims, float[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.Add(dims);
        tensor.FloatData.Add(values);
        return tensor;
    }

    /// <summary>A float tensor value; −1 is a symbolic dimension ("batch").</summary>
    private static ValueInfoProto Tensor(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = dim });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
