using System.Collections.Concurrent;
using System.Globalization;
using EdgePose.Core.Configuration;
using EdgePose.Runtime.Threading;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace EdgePose.Runtime.Inference;

/// <summary>
/// Builds the one <see cref="InferenceSession"/> of a model on the best execution provider that works here.
/// A provider this build lacks, or whose library does not load, is logged once per process and skipped; a provider
/// that loads but cannot build the model's session hands over to the next one; CPU always works.
/// </summary>
internal sealed class OrtSessionFactory(IOptions<InferenceOptions> options, ILogger<OrtSessionFactory> logger)
{
    private static readonly Dictionary<string, string> OrtProviderNames = new(StringComparer.OrdinalIgnoreCase)
    {
        [InferenceOptions.TensorRt] = "TensorrtExecutionProvider",
        [InferenceOptions.Cuda] = "CUDAExecutionProvider",
        [InferenceOptions.Cpu] = "CPUExecutionProvider",
    };

    /// <summary>The name ONNX Runtime's intra-op workers have on Linux: that of the thread that builds the session.</summary>
    internal const string IntraOpThreadName = "edgepose-ort";

    private readonly InferenceOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, ExecutionProviderStatus> _status = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates the session from the model bytes (so what runs is exactly what was hashed); returns the provider chosen.</summary>
    public (InferenceSession Session, string ExecutionProvider) Create(byte[] model, string modelSha256)
    {
        // ONNX Runtime always ends with CPU; providers listed after it would never be preferred.
        var loaded = _options.EffectiveExecutionProviders
            .Select(Choice.NameOf)
            .TakeWhile(p => p != InferenceOptions.Cpu)
            .Where(p => Probe(p).Loaded)
            .ToList();
        return BuildWithFallback(loaded, modelSha256, chain => NewSession(model, modelSha256, chain));
    }

    /// <summary>
    /// Whether <paramref name="provider"/> loads in this process, the device it would run on and, if it does not load,
    /// why (the missing library where there is one). Probed once per process: a library does not appear while it runs.
    /// </summary>
    public ExecutionProviderStatus Probe(string provider)
    {
        provider = InferenceOptions.CanonicalExecutionProvider(provider);
        return _status.GetOrAdd(provider, ProbeOnce);
    }

    /// <summary>
    /// Builds on <paramref name="providers"/> (best first, all loaded), each in turn as the preferred one with the rest
    /// behind it, then on CPU alone, whose failure is the model's own and is thrown. A TensorRT engine that fails to build
    /// thus falls back to CUDA, then to CPU. Providers are blamed (logged, and shown by doctor) only once another one has
    /// built the session: a model no provider can load is a bad model, which the caller reports.
    /// </summary>
    internal (T Built, string ExecutionProvider) BuildWithFallback<T>(IReadOnlyList<string> providers, string modelSha256, Func<IReadOnlyList<string>, T> build)
    {
        var failures = new List<(string Provider, string Reason)>();
        for (var i = 0; ; i++)
        {
            var provider = i < providers.Count ? providers[i] : InferenceOptions.Cpu;
            try
            {
                var built = build(providers.Skip(i).ToList());
                Blame(failures, provider, modelSha256);
                return (built, provider);
            }
            catch (OnnxRuntimeException ex) when (i < providers.Count)
            {
                failures.Add((provider, ex.Message));
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

    /// <summary>
    /// The engine folder for one model and the timing cache folder shared by all. An engine is only valid for the exact network
    /// it was built from: keying its folder by the model's hash means a replaced model never picks up a stale engine.
    /// </summary>
    internal static (string EngineDirectory, string TimingDirectory) TensorRtCacheDirectories(InferenceOptions options, string modelSha256)
    {
        var cacheRoot = options.TensorRtEngineCacheDirectory ?? Path.Combine(Path.GetTempPath(), "edgepose", "tensorrt");
        return (Path.Combine(cacheRoot, modelSha256), options.TensorRtTimingCacheDirectory ?? Path.Combine(cacheRoot, "timing"));
    }

    private void Blame(List<(string Provider, string Reason)> failures, string served, string modelSha256)
    {
        for (var k = 0; k < failures.Count; k++)
        {
            var (provider, reason) = failures[k];
            logger.ProviderSessionFailed(provider, modelSha256, k + 1 < failures.Count ? failures[k + 1].Provider : served, reason);
            var sessionError = $"model {modelSha256}: {reason}";
            _status.AddOrUpdate(provider, p => new ExecutionProviderStatus(p, true, DeviceOf(p), null, sessionError), (_, s) => s with { SessionError = sessionError });
        }

        if (served != InferenceOptions.Cpu)
        {
            _status.AddOrUpdate(served, p => new ExecutionProviderStatus(p, true, DeviceOf(p), null, null), (_, s) => s with { SessionError = null });
        }
    }

    private InferenceSession NewSession(byte[] model, string modelSha256, IReadOnlyList<string> chain)
    {
        using var sessionOptions = BaseSessionOptions(_options.IntraOpThreads);

        // Provider options are released once the session exists: the one point where the native side has certainly consumed them.
        var providerOptions = new List<IDisposable>();
        try
        {
            // TensorRT hands the nodes it cannot compile to the next provider, so CUDA is still appended after it.
            foreach (var provider in chain)
            {
                Append(sessionOptions, provider, modelSha256, providerOptions);
            }

            // Built on a raised thread so the session's intra-op workers, which inherit its nice value, are raised too (and
            // show as edgepose-ort in top -H).
            var (session, change) = ThreadNice.RunRaised(IntraOpThreadName, _options.IntraOpThreadPriorityBoost, () => new InferenceSession(model, sessionOptions));
            if (!change.Applied)
            {
                logger.IntraOpPriorityNotRaised(_options.IntraOpThreadPriorityBoost, change.Error ?? "not applied");
            }

            return session;
        }
        finally
        {
            providerOptions.ForEach(o => o.Dispose());
        }
    }

    private ExecutionProviderStatus ProbeOnce(string provider)
    {
        var device = DeviceOf(provider);
        if (provider == InferenceOptions.Cpu)
        {
            return new ExecutionProviderStatus(provider, true, device, null, null);
        }

        var available = OrtEnv.Instance().GetAvailableProviders();
        if (!available.Contains(OrtProviderNames[provider]))
        {
            var list = string.Join(", ", available);
            logger.ProviderUnavailable(provider, list);
            return new ExecutionProviderStatus(provider, false, device, $"not in this ONNX Runtime build (available: {list})", null);
        }

        // Appending is what loads the provider's library (and with it CUDA, cuDNN, TensorRT): try it on scratch options.
        var keepAlive = new List<IDisposable>();
        try
        {
            using var scratch = new SessionOptions();
            Append(scratch, provider, modelSha256: null, keepAlive);
            return new ExecutionProviderStatus(provider, true, device, null, null);
        }
        catch (OnnxRuntimeException ex)
        {
            var reason = ProviderLibraries.WhyNotLoaded(provider) ?? ex.Message;
            logger.ProviderFailed(provider, reason);
            return new ExecutionProviderStatus(provider, false, device, reason, null);
        }
        finally
        {
            keepAlive.ForEach(o => o.Dispose());
        }
    }

    private string DeviceOf(string provider) =>
        provider == InferenceOptions.Cpu ? "CPU" : string.Create(CultureInfo.InvariantCulture, $"CUDA device {_options.CudaDeviceId}");

    private void Append(SessionOptions sessionOptions, string provider, string? modelSha256, List<IDisposable> keepAlive)
    {
        if (provider == InferenceOptions.TensorRt)
        {
            AppendTensorRt(sessionOptions, modelSha256, keepAlive);
        }
        else
        {
            sessionOptions.AppendExecutionProvider_CUDA(_options.CudaDeviceId);
        }
    }

    /// <summary>Without a model (a probe), no cache folders: only the device, which is enough to load the library.</summary>
    private void AppendTensorRt(SessionOptions sessionOptions, string? modelSha256, List<IDisposable> keepAlive)
    {
        var trt = new OrtTensorRTProviderOptions();
        keepAlive.Add(trt);
        var settings = new Dictionary<string, string>
        {
            ["device_id"] = _options.CudaDeviceId.ToString(CultureInfo.InvariantCulture),
        };
        if (modelSha256 is not null)
        {
            var (engine, timing) = TensorRtCacheDirectories(_options, modelSha256);
            settings["trt_fp16_enable"] = _options.TensorRtFp16 ? "1" : "0";
            settings["trt_engine_cache_enable"] = "1";
            settings["trt_engine_cache_path"] = Directory.CreateDirectory(engine).FullName;
            settings["trt_timing_cache_enable"] = "1";
            settings["trt_timing_cache_path"] = Directory.CreateDirectory(timing).FullName;
        }

        trt.UpdateOptions(settings);
        sessionOptions.AppendExecutionProvider_Tensorrt(trt);
    }
}

/// <summary>
/// One execution provider here: whether its library loaded, the device it runs on, and if not loaded why
/// (<see cref="Problem"/>: the missing library where there is one, else ONNX Runtime's error). <see cref="SessionError"/>:
/// the last model whose session it loaded but could not build (another provider serves that model).
/// </summary>
internal sealed record ExecutionProviderStatus(string Provider, bool Loaded, string Device, string? Problem, string? SessionError);
