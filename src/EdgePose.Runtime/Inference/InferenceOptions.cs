using EdgePose.Core.Poses;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using EdgePose.Core.Configuration;

namespace EdgePose.Runtime.Inference;

/// <summary>An ONNX Runtime execution provider, configured (and reported, e.g. in the execution_provider label) by the names below.</summary>
[TypeConverter(typeof(ChoiceConverter<ExecutionProvider>))]
public enum ExecutionProvider
{
    [JsonStringEnumMemberName("TensorRT")]
    TensorRt,
    [JsonStringEnumMemberName("CUDA")]
    Cuda,
    [JsonStringEnumMemberName("CPU")]
    Cpu,
}

/// <summary>Configuration section "EdgePose:Inference": which ONNX model to serve and how to run it.</summary>
public sealed class InferenceOptions
{
    public const string SectionName = "EdgePose:Inference";

    /// <summary>The providers' names, as configured and as logged, reported by doctor and in the execution_provider label.</summary>
    public static string TensorRt { get; } = Choice.NameOf(ExecutionProvider.TensorRt);
    public static string Cuda { get; } = Choice.NameOf(ExecutionProvider.Cuda);
    public static string Cpu { get; } = Choice.NameOf(ExecutionProvider.Cpu);

    public static IReadOnlyList<string> AllowedExecutionProviders { get; } = Choice.Names<ExecutionProvider>();

    /// <summary>
    /// The ONNX model file. A relative path is looked up in the current directory first, then next to the executable
    /// (where the bundled model is deployed). Null or empty: no model, the baseline answers alone.
    /// </summary>
    public string? ModelPath { get; set; } = "models/edgepose-box.onnx";

    /// <summary>
    /// Preferred execution providers, best first (case-insensitive names). Null or empty: TensorRT, CUDA, CPU.
    /// Providers this ONNX Runtime build lacks are skipped.
    /// </summary>
    public List<ExecutionProvider>? ExecutionProviders { get; set; }

    [Range(0, 63)] public int CudaDeviceId { get; set; }

    /// <summary>Where TensorRT keeps built engines (one sub-folder per model SHA-256). Null: a folder under the temp directory.</summary>
    public string? TensorRtEngineCacheDirectory { get; set; }

    /// <summary>Where TensorRT keeps its layer timing cache, shared by all models. Null: next to the engine cache.</summary>
    public string? TensorRtTimingCacheDirectory { get; set; }

    public bool TensorRtFp16 { get; set; } = true;

    [Range(1, 64)] public int IntraOpThreads { get; set; } = 2;

    /// <summary>
    /// How many nice levels above the rest of the daemon ONNX Runtime's intra-op worker threads run (Linux; 0 leaves them
    /// level). The live loop's inference runs partly on them, so at the daemon's priority an EstimatePose flood delays the
    /// live results however high the loop's own threads run (Pipeline:LiveThreadPriorityBoost). They inherit the priority
    /// of the thread that builds the session, which is raised for that. EstimatePose shares the session, so its
    /// inference gets the same help, bounded by its concurrency limit. Needs what the loop's boost needs (LimitNICE=).
    /// </summary>
    [Range(0, 20)]
    public int IntraOpThreadPriorityBoost { get; set; } = 10;

    /// <summary>Inference runs on a blank image before a model serves, so the first real frame does not pay for lazy initialisation.</summary>
    [Range(0, 100)] public int WarmupRuns { get; set; } = 3;

    /// <summary>
    /// Below this confidence a model pose counts as low-confidence and the baseline is preferred. Chosen for the bundled
    /// model on the validation splits by <c>edgepose-lab threshold</c> (models/MODEL_CARD.md): a wrong pose is worse for a
    /// grasp than none.
    /// </summary>
    [Range(0.0, 1.0)] public double ConfidenceThreshold { get; set; } = 0.25;

    /// <summary>
    /// Keypoints scoring below this are left out of PnP (the others count by their scores); fewer than
    /// <see cref="OnnxPoseModel.MinimumKeypoints"/> left means no pose: what the model is not looking at gets none.
    /// </summary>
    [Range(0.0, 1.0)] public double KeypointScoreFloor { get; set; } = 0.05;

    /// <summary>
    /// The grasp's position tolerance, metres: a pose's confidence (the model's and the baseline's) falls as exp(−z) with
    /// z the PnP covariance's position deviation in units of this (or the angle deviation in units of
    /// <see cref="ConfidenceAngleToleranceDegrees"/>, whichever is larger), so a pose pinned down to well within the
    /// tolerance is confident.
    /// </summary>
    [Range(1e-4, 1.0)] public double ConfidencePositionToleranceMeters { get; set; } = 0.01;

    /// <summary>The grasp's angle tolerance, degrees; see <see cref="ConfidencePositionToleranceMeters"/>.</summary>
    [Range(0.01, 90.0)] public double ConfidenceAngleToleranceDegrees { get; set; } = 5;

    internal GraspTolerance Tolerance => new(ConfidencePositionToleranceMeters, ConfidenceAngleToleranceDegrees);

    /// <summary>
    /// Longest a read of the model file may take. A FIFO at the model path (or a hung network mount) would block the read
    /// forever and keep the unit "activating"; past this the load fails and the baseline serves.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ModelReadTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Reload the model when its file is replaced.</summary>
    public bool WatchModelFile { get; set; } = true;

    /// <summary>Quiet time after the last file-system event before reloading, so a file being copied is read once it is complete.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ReloadDebounce { get; set; } = TimeSpan.FromSeconds(1);

    internal IReadOnlyList<ExecutionProvider> EffectiveExecutionProviders =>
        ExecutionProviders is { Count: > 0 } configured ? configured : Enum.GetValues<ExecutionProvider>();

    /// <summary>The name of a provider given in any case ("cuda" → "CUDA").</summary>
    internal static string CanonicalExecutionProvider(string name) =>
        Choice.TryParse<ExecutionProvider>(name, out var provider)
            ? Choice.NameOf(provider)
            : throw new ArgumentOutOfRangeException(nameof(name), name, $"not one of {string.Join(", ", AllowedExecutionProviders)}");

    /// <summary>The model file to load, or null when none is configured.</summary>
    internal string? ResolveModelPath()
    {
        if (string.IsNullOrWhiteSpace(ModelPath))
        {
            return null;
        }

        if (Path.IsPathRooted(ModelPath) || File.Exists(ModelPath))
        {
            return Path.GetFullPath(ModelPath);
        }

        return Path.Combine(AppContext.BaseDirectory, ModelPath);
    }
}
