using Microsoft.Extensions.Logging;

namespace EdgePose.Runtime.Inference;

/// <summary>Inference log messages; EventIds 1100-1199 are stable (alerts and log queries key on them).</summary>
internal static partial class InferenceLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information,
        Message = "Model {Path} loaded: version {Version}, sha256 {Sha256}, execution provider {ExecutionProvider}, {ElapsedMs:F0} ms")]
    public static partial void ModelLoaded(this ILogger logger, string path, string version, string sha256, string executionProvider, double elapsedMs);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Model file {Path} not found; serving the baseline only")]
    public static partial void ModelAbsent(this ILogger logger, string path);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "Model {Path} failed to load; serving the baseline only: {Reason}")]
    public static partial void ModelLoadFailed(this ILogger logger, Exception? exception, string path, string reason);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Error,
        Message = "Reload of model {Path} failed; model {CurrentSha256} keeps serving: {Reason}")]
    public static partial void ModelReloadFailed(this ILogger logger, Exception? exception, string path, string currentSha256, string reason);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning,
        Message = "Execution provider {Provider} is not in this ONNX Runtime build (available: {Available}); skipping it")]
    public static partial void ProviderUnavailable(this ILogger logger, string provider, string available);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "Execution provider {Provider} failed to load, skipping it: {Reason}")]
    public static partial void ProviderFailed(this ILogger logger, string provider, string reason);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Information, Message = "Model file {Path} changed; reloading")]
    public static partial void ModelFileChanged(this ILogger logger, string path);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Warning, Message = "Cannot watch model folder {Directory}; model changes need a restart or an explicit reload")]
    public static partial void ModelWatchUnavailable(this ILogger logger, Exception? exception, string directory);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Information, Message = "No model configured (EdgePose:Inference:ModelPath is empty); serving the baseline only")]
    public static partial void NoModelConfigured(this ILogger logger);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Debug, Message = "Model {Path} unchanged (sha256 {Sha256}); keeping the loaded session")]
    public static partial void ModelUnchanged(this ILogger logger, string path, string sha256);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Warning,
        Message = "Execution provider {Provider} could not build a session for model {Sha256}; falling back to {Next}: {Reason}")]
    public static partial void ProviderSessionFailed(this ILogger logger, string provider, string sha256, string next, string reason);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Warning,
        Message = "Cannot raise ONNX Runtime's intra-op threads by {Boost} nice levels ({Error}); they run at the daemon's priority. " +
                  "It needs CAP_SYS_NICE or a nice limit that allows it (systemd LimitNICE=, as in the shipped unit); set EdgePose:Inference:IntraOpThreadPriorityBoost to 0 to not try")]
    public static partial void IntraOpPriorityNotRaised(this ILogger logger, int boost, string error);
}
