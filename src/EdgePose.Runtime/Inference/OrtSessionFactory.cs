using System.Collections.Concurrent;
using System.Globalization;
using EdgePose.Core.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace EdgePose.Runtime.Inference;

/// <summary>
/// Builds the one <see cref="InferenceSession"/> of a model on the best execution provider that works here.
/// A provider this build lacks, or one that fails to initialise, is logged once per process and skipped; CPU always works.
/// </summary>
internal sealed class OrtSessionFactory(IOptions<InferenceOptions> options, ILogger<OrtSessionFactory> logger)
{
    private readonly InferenceOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, bool> _reported = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates the session from the model bytes (so what runs is exactly what was hashed); returns the provider chosen.</summary>
    public (InferenceSession Session, string ExecutionProvider) Create(byte[] model, string modelSha256)
    {
        using var sessionOptions = BaseSessionOptions(_options.IntraOpThreads);

        // Provider options are released once the session exists: the one point where the native side has certainly consumed them.
        var providerOptions = new List<IDisposable>();
        try
        {
            var provider = AppendProviders(sessionOptions, modelSha256, providerOptions);
            return (new InferenceSession(model, sessionOptions), provider);
        }
        finally
        {
            providerOptions.ForEach(o => o.Dispose());
        }
    }

    /// <summary>Session options before any execution provider is added; the benchmarks' bare session uses them too.</summary>
    internal static SessionOptions BaseSessionOptions(int intraOpThreads)
    {
        var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = intraOpThreads,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };

        // Spinning intra-op threads keep the cores busy after each run, stealing them from the OpenCV stages that
        // follow (PnP took 8x longer on 2 cores) and burning power on a board; the pipeline runs one frame at a time.
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return sessionOptions;
    }

    private string AppendProviders(SessionOptions sessionOptions, string modelSha256, List<IDisposable> keepAlive)
    {
        var available = OrtEnv.Instance().GetAvailableProviders();
        string? chosen = null;
        foreach (var configured in _options.EffectiveExecutionProviders)
        {
            var provider = Choice.NameOf(configured);
            if (configured == ExecutionProvider.Cpu)
            {
                // ONNX Runtime always ends with CPU; providers listed after it would never be preferred.
                break;
            }

            if (!available.Contains(OrtProviderName(configured)))
            {
                if (_reported.TryAdd(provider, true))
                {
                    logger.ProviderUnavailable(provider, string.Join(", ", available));
                }

                continue;
            }

            try
            {
                if (configured == ExecutionProvider.TensorRt)
                {
                    AppendTensorRt(sessionOptions, modelSha256, keepAlive);
                }
                else
                {
                    sessionOptions.AppendExecutionProvider_CUDA(_options.CudaDeviceId);
                }

                // TensorRT hands the nodes it cannot compile to the next provider, so CUDA is still appended after it.
                chosen ??= provider;
            }
            catch (Exception ex)
            {
                if (_reported.TryAdd(provider, true))
                {
                    logger.ProviderFailed(ex, provider);
                }
            }
        }

        return chosen ?? Choice.NameOf(ExecutionProvider.Cpu);
    }

    private static string OrtProviderName(ExecutionProvider provider) => provider switch
    {
        ExecutionProvider.TensorRt => "TensorrtExecutionProvider",
        ExecutionProvider.Cuda => "CUDAExecutionProvider",
        _ => "CPUExecutionProvider",
    };

    /// <summary>
    /// The engine folder for one model and the timing cache folder shared by all. An engine is only valid for the exact network
    /// it was built from: keying its folder by the model's hash means a replaced model never picks up a stale engine.
    /// </summary>
    internal static (string EngineDirectory, string TimingDirectory) TensorRtCacheDirectories(InferenceOptions options, string modelSha256)
    {
        var cacheRoot = options.TensorRtEngineCacheDirectory ?? Path.Combine(Path.GetTempPath(), "edgepose", "tensorrt");
        return (Path.Combine(cacheRoot, modelSha256), options.TensorRtTimingCacheDirectory ?? Path.Combine(cacheRoot, "timing"));
    }

    private void AppendTensorRt(SessionOptions sessionOptions, string modelSha256, List<IDisposable> keepAlive)
    {
        var (engine, timing) = TensorRtCacheDirectories(_options, modelSha256);
        var engineDirectory = Directory.CreateDirectory(engine).FullName;
        var timingDirectory = Directory.CreateDirectory(timing).FullName;

        var trt = new OrtTensorRTProviderOptions();
        keepAlive.Add(trt);
        trt.UpdateOptions(new Dictionary<string, string>
        {
            ["device_id"] = _options.CudaDeviceId.ToString(CultureInfo.InvariantCulture),
            ["trt_fp16_enable"] = _options.TensorRtFp16 ? "1" : "0",
            ["trt_engine_cache_enable"] = "1",
            ["trt_engine_cache_path"] = engineDirectory,
            ["trt_timing_cache_enable"] = "1",
            ["trt_timing_cache_path"] = timingDirectory,
        });
        sessionOptions.AppendExecutionProvider_Tensorrt(trt);
    }
}
