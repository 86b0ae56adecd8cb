using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace EdgePose.Runtime.Inference;

/// <summary>
/// Builds the one <see cref="InferenceSession"/> of a model on the best execution provider that works here.
/// A provider this build lacks, or one that fails to initialise, is logged once per process and skipped; a session that
/// fails to build on a provider (TensorRT out of memory, a corrupt or unwritable engine cache) is built again on the
/// providers after it, down to CPU, which always works.
/// </summary>
internal sealed class OrtSessionFactory(IOptions<InferenceOptions> options, ILogger<OrtSessionFactory> logger)
{
    private static readonly Dictionary<string, string> OrtProviderNames = new(StringComparer.OrdinalIgnoreCase)
    {
        [InferenceOptions.TensorRt] = "TensorrtExecutionProvider",
        [InferenceOptions.Cuda] = "CUDAExecutionProvider",
        [InferenceOptions.Cpu] = "CPUExecutionProvider",
    };

    private readonly InferenceOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, bool> _reported = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates the session from the model bytes (so what runs is exactly what was hashed); returns the provider chosen.</summary>
    public (InferenceSession Session, string ExecutionProvider) Create(byte[] model, string modelSha256)
    {
        var configured = _options.EffectiveExecutionProviders
            .Select(c => InferenceOptions.AllowedExecutionProviders.First(p => p.Equals(c, StringComparison.OrdinalIgnoreCase)))
            .TakeWhile(p => p != InferenceOptions.Cpu) // ONNX Runtime always ends with CPU; providers after it would never be preferred.
            .ToList();
        for (var skip = 0; ; skip++)
        {
            using var sessionOptions = BaseSessionOptions(_options.IntraOpThreads);

            // Provider options are released once the session exists: the one point where the native side has certainly consumed them.
            var providerOptions = new List<IDisposable>();
            var provider = InferenceOptions.Cpu;
            try
            {
                provider = AppendProviders(sessionOptions, configured.Skip(skip), modelSha256, providerOptions);
                return (new InferenceSession(model, sessionOptions), provider);
            }
            catch (OnnxRuntimeException ex) when (provider != InferenceOptions.Cpu)
            {
                logger.SessionFailedOnProvider(ex, provider);
                skip = configured.IndexOf(provider);
            }
            finally
            {
                providerOptions.ForEach(o => o.Dispose());
            }
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

    private string AppendProviders(SessionOptions sessionOptions, IEnumerable<string> providers, string modelSha256, List<IDisposable> keepAlive)
    {
        var available = OrtEnv.Instance().GetAvailableProviders();
        string? chosen = null;
        foreach (var provider in providers)
        {
            if (!available.Contains(OrtProviderNames[provider]))
            {
                if (_reported.TryAdd(provider, true))
                {
                    logger.ProviderUnavailable(provider, string.Join(", ", available));
                }

                continue;
            }

            try
            {
                if (provider == InferenceOptions.TensorRt)
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

        return chosen ?? InferenceOptions.Cpu;
    }

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
