using EdgePose.Runtime.Objects;
using EdgePose.Runtime.Poses;
using OpenCvSharp;

namespace EdgePose.Runtime.Inference;

/// <summary>What the model said about one object in one image, with the time each stage took.</summary>
public sealed record ModelPoseResult(
    PoseEstimate? Estimate,
    double Confidence,
    TimeSpan Preprocess,
    TimeSpan Inference,
    TimeSpan Pnp);

/// <summary>A loaded, contract-checked, warmed-up ONNX pose model.</summary>
public interface IPoseModel : IDisposable
{
    ModelInfo Info { get; }

    /// <summary>Whether this model was trained for <paramref name="objectId"/>.</summary>
    bool Handles(string objectId);

    /// <summary>
    /// Keypoints → PnP → T_camera_object. Estimate is null when the model sees no object (confidence below what PnP needs).
    /// Thread-safe: concurrent calls run side by side, each on buffers of its own. Throws on inference failure.
    /// </summary>
    ModelPoseResult Estimate(Mat image, CameraIntrinsics camera, TargetObject target);
}

public enum ModelState
{
    Absent,
    Loading,
    Loaded,
    Failed,
}

/// <summary>Holds the current model and swaps it on reload; a failed reload keeps the old one.</summary>
public interface IModelHost
{
    ModelState State { get; }

    /// <summary>Why the model is absent or failed, or the last reload error while an older model still serves.</summary>
    string? LastError { get; }

    IPoseModel? Current { get; }

    /// <summary>Loads (or reloads) the configured model file: load, contract check, warm-up, then swap.</summary>
    Task<bool> ReloadAsync(CancellationToken cancellationToken);

    /// <summary>Completes once the first load attempt (success or failure) has finished.</summary>
    Task Initialized { get; }
}
