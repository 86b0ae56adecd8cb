using System.Collections.Immutable;
using System.Text.Json;

namespace EdgePose.Core.Contract;

/// <summary>
/// models/contract.json, embedded: the one statement of what the training recipe and the runtime share. The recipe
/// (models/training/posenet.py) reads the same file to write a model's metadata and shape its input; the runtime checks a
/// model's metadata against <see cref="ModelContractKeys"/>, which come from here.
/// </summary>
public sealed record ModelContractFile(
    string ContractVersion,
    ImmutableDictionary<string, string> MetadataKeys,
    ImmutableArray<string> KeypointOrder,
    ModelContractFile.InputSpec Input,
    ModelContractFile.OutputSpec Outputs,
    ModelContractFile.KeypointWeightingSpec KeypointWeighting)
{
    private const string ResourceName = "EdgePose.Core.Contract.contract.json";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static ModelContractFile Embedded { get; } = Load();

    /// <summary>The input the recipe exports: tensor name, size, layout, colour order, normalisation of [0, 1] pixels, resize.</summary>
    public sealed record InputSpec(
        string Name, int Width, int Height, string Layout, string Color, ImmutableArray<float> Mean, ImmutableArray<float> Std, string Resize);

    public sealed record OutputSpec(string Keypoints, string Scores);

    /// <summary>
    /// A keypoint's weight in PnP from its score s, 1 / (ln²s + <paramref name="Softness"/>²): the runtime's solve and the
    /// recipe's reference solve (train.py, the parity fixture's poses) weigh alike.
    /// </summary>
    public sealed record KeypointWeightingSpec(double Softness)
    {
        public double Weight(float score)
        {
            // A score of exactly 0 (or below, from a broken model) weighs least rather than not at all or NaN.
            var logScore = Math.Log(Math.Max(score, float.Epsilon));
            return 1 / ((logScore * logScore) + (Softness * Softness));
        }
    }

    private static ModelContractFile Load()
    {
        using var stream = typeof(ModelContractFile).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{ResourceName} is not embedded in {typeof(ModelContractFile).Assembly.GetName().Name}.");
        return JsonSerializer.Deserialize<ModelContractFile>(stream, Json)
            ?? throw new InvalidOperationException($"{ResourceName} is empty.");
    }
}
