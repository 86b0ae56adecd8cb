using System.Collections.Immutable;
using System.Globalization;
using EdgePose.Core.Contract;
using EdgePose.Core.Objects;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgePose.Runtime.Inference;

/// <summary>Checks a loaded session against the model contract before it may serve: metadata keys and tensor signatures.</summary>
internal static class ModelContractReader
{
    public const string Letterbox = "letterbox";
    public const string Nchw = "NCHW";

    public static (ModelContract Contract, string ModelVersion) Read(string modelPath, InferenceSession session)
    {
        var metadata = session.ModelMetadata.CustomMetadataMap;
        ModelContractException Mismatch(string detail) => new($"{modelPath}: {detail}");

        string Required(string key) =>
            metadata.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value)
                ? value.Trim()
                : throw Mismatch($"metadata key '{key}' is missing; the contract requires it");

        void RequireEqual(string key, string expected, bool ignoreCase = false)
        {
            var found = Required(key);
            if (!string.Equals(found, expected, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            {
                throw Mismatch($"metadata key '{key}' is '{found}', the contract says '{expected}'");
            }
        }

        int Dimension(string key)
        {
            var found = Required(key);
            return int.TryParse(found, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
                ? value
                : throw Mismatch($"metadata key '{key}' is '{found}', the contract says a positive integer");
        }

        ImmutableArray<float> Triple(string key, bool positive)
        {
            var found = Required(key);
            var parts = found.Split(',', StringSplitOptions.TrimEntries);
            var values = new float[parts.Length];
            var ok = parts.Length == 3;
            for (var i = 0; ok && i < parts.Length; i++)
            {
                ok = float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i])
                    && float.IsFinite(values[i]) && (!positive || values[i] > 0);
            }

            return ok
                ? [.. values]
                : throw Mismatch($"metadata key '{key}' is '{found}', the contract says 3 comma-separated {(positive ? "positive " : "")}numbers");
        }

        RequireEqual(ModelContractKeys.ContractVersion, ModelContractKeys.SupportedContractVersion);
        var version = Required(ModelContractKeys.ModelVersion);
        var objectId = Required(ModelContractKeys.ObjectId);
        var inputName = Required(ModelContractKeys.InputName);
        var width = Dimension(ModelContractKeys.InputWidth);
        var height = Dimension(ModelContractKeys.InputHeight);
        RequireEqual(ModelContractKeys.InputLayout, Nchw, ignoreCase: true);
        var color = Required(ModelContractKeys.InputColor).ToUpperInvariant();
        if (color is not ("RGB" or "BGR"))
        {
            throw Mismatch($"metadata key '{ModelContractKeys.InputColor}' is '{color}', the contract says 'RGB' or 'BGR'");
        }

        var mean = Triple(ModelContractKeys.InputMean, positive: false);
        var std = Triple(ModelContractKeys.InputStd, positive: true);
        RequireEqual(ModelContractKeys.InputResize, Letterbox, ignoreCase: true);
        RequireEqual(ModelContractKeys.KeypointOrder, ModelContractKeys.ExpectedKeypointOrder);
        var keypointsOutput = Required(ModelContractKeys.KeypointsOutput);
        var scoresOutput = Required(ModelContractKeys.ScoresOutput);

        CheckTensor(modelPath, "input", inputName, ModelContractKeys.InputName, session.InputMetadata, [1, 3, height, width], $" ({width}x{height}, NCHW)");
        CheckTensor(modelPath, "output", keypointsOutput, ModelContractKeys.KeypointsOutput, session.OutputMetadata, [1, TargetObject.KeypointCount, 2], "");
        CheckTensor(modelPath, "output", scoresOutput, ModelContractKeys.ScoresOutput, session.OutputMetadata, [1, TargetObject.KeypointCount], "");

        var contract = new ModelContract(
            objectId, inputName, width, height, Nchw, color, mean, std,
            [.. ModelContractKeys.ExpectedKeypointOrder.Split(',')], keypointsOutput, scoresOutput);
        return (contract, version);
    }

    /// <summary>A float tensor of exactly <paramref name="expected"/>; only the batch dimension may be dynamic (−1 or symbolic).</summary>
    private static void CheckTensor(
        string modelPath, string kind, string name, string key, IReadOnlyDictionary<string, NodeMetadata> tensors, int[] expected, string note)
    {
        if (!tensors.TryGetValue(name, out var tensor))
        {
            throw new ModelContractException(
                $"{modelPath}: {kind} '{name}' (metadata key '{key}') is not in the graph; its {kind}s are [{string.Join(", ", tensors.Keys)}]");
        }

        if (!tensor.IsTensor || tensor.ElementDataType != TensorElementType.Float)
        {
            throw new ModelContractException(
                $"{modelPath}: {kind} '{name}' has element type {(tensor.IsTensor ? tensor.ElementDataType : tensor.OnnxValueType)}, the contract says float");
        }

        var found = tensor.Dimensions;
        var matches = found.Length == expected.Length
            && (found[0] is 1 or -1)
            && found.AsSpan(1).SequenceEqual(expected.AsSpan(1));
        if (!matches)
        {
            throw new ModelContractException(
                $"{modelPath}: {kind} '{name}' has shape {Format(found)}, the contract says {Format(expected)}{note}");
        }
    }

    private static string Format(int[] shape) => $"[{string.Join(",", shape.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)))}]";
}
