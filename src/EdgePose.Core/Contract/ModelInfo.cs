using System.Collections.Immutable;

namespace EdgePose.Core.Contract;

/// <summary>
/// The model contract, read from the ONNX file's metadata properties (keys in <see cref="ModelContractKeys"/>):
/// input tensor name/size/layout/normalisation and the keypoint order it predicts.
/// </summary>
public sealed record ModelContract(
    string ObjectId,
    string InputName,
    int InputWidth,
    int InputHeight,
    string Layout,
    string ColorOrder,
    ImmutableArray<float> Mean,
    ImmutableArray<float> Std,
    ImmutableArray<string> KeypointOrder,
    string KeypointsOutput,
    string ScoresOutput);

public sealed record ModelInfo(
    string Path,
    string Sha256,
    string Version,
    ModelContract Contract,
    string ExecutionProvider,
    DateTimeOffset LoadedAt);

/// <summary>
/// Metadata keys of the model contract, from models/contract.json (<see cref="ModelContractFile"/>). The training recipe
/// writes them; the runtime checks them at load.
/// </summary>
public static class ModelContractKeys
{
    public static string ContractVersion { get; } = Key("contract_version");
    public static string ModelVersion { get; } = Key("model_version");
    public static string ObjectId { get; } = Key("object_id");
    public static string InputName { get; } = Key("input_name");
    public static string InputWidth { get; } = Key("input_width");
    public static string InputHeight { get; } = Key("input_height");
    /// <summary>"NCHW".</summary>
    public static string InputLayout { get; } = Key("input_layout");
    /// <summary>"RGB" or "BGR".</summary>
    public static string InputColor { get; } = Key("input_color");
    /// <summary>Comma-separated per-channel mean and std applied to pixels scaled to [0, 1].</summary>
    public static string InputMean { get; } = Key("input_mean");
    public static string InputStd { get; } = Key("input_std");
    /// <summary>"letterbox": aspect kept, image centred, padding zero after normalisation.</summary>
    public static string InputResize { get; } = Key("input_resize");
    /// <summary>Comma-separated names; must equal <see cref="ExpectedKeypointOrder"/>.</summary>
    public static string KeypointOrder { get; } = Key("keypoint_order");
    /// <summary>Output [1, K, 2]: keypoint (u, v) in the model input, normalised to [0, 1].</summary>
    public static string KeypointsOutput { get; } = Key("output_keypoints");
    /// <summary>Output [1, K]: per-keypoint confidence in [0, 1].</summary>
    public static string ScoresOutput { get; } = Key("output_scores");

    public static string SupportedContractVersion => ModelContractFile.Embedded.ContractVersion;

    /// <summary>Names of <see cref="Objects.TargetObject.Keypoints"/> in order.</summary>
    public static string ExpectedKeypointOrder { get; } = string.Join(',', ModelContractFile.Embedded.KeypointOrder);

    private static string Key(string name) => ModelContractFile.Embedded.MetadataKeys[name];
}
