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

/// <summary>Metadata keys of the model contract. The training recipe writes them; the runtime checks them at load.</summary>
public static class ModelContractKeys
{
    public const string ContractVersion = "edgepose.contract_version";
    public const string ModelVersion = "edgepose.model_version";
    public const string ObjectId = "edgepose.object_id";
    public const string InputName = "edgepose.input_name";
    public const string InputWidth = "edgepose.input_width";
    public const string InputHeight = "edgepose.input_height";
    /// <summary>"NCHW".</summary>
    public const string InputLayout = "edgepose.input_layout";
    /// <summary>"RGB" or "BGR".</summary>
    public const string InputColor = "edgepose.input_color";
    /// <summary>Comma-separated per-channel mean and std applied to pixels scaled to [0, 1].</summary>
    public const string InputMean = "edgepose.input_mean";
    public const string InputStd = "edgepose.input_std";
    /// <summary>"letterbox": aspect kept, image centred, padding zero after normalisation.</summary>
    public const string InputResize = "edgepose.input_resize";
    /// <summary>Comma-separated names; must equal <see cref="ExpectedKeypointOrder"/>.</summary>
    public const string KeypointOrder = "edgepose.keypoint_order";
    /// <summary>Output [1, K, 2]: keypoint (u, v) in the model input, normalised to [0, 1].</summary>
    public const string KeypointsOutput = "edgepose.output_keypoints";
    /// <summary>Output [1, K]: per-keypoint confidence in [0, 1].</summary>
    public const string ScoresOutput = "edgepose.output_scores";

    public const string SupportedContractVersion = "1";

    /// <summary>Names of <see cref="Objects.TargetObject.Keypoints"/> in order.</summary>
    public const string ExpectedKeypointOrder = "x-y-z-,x+y-z-,x+y+z-,x-y+z-,x-y-z+,x+y-z+,x+y+z+,x-y+z+,centre";
}
