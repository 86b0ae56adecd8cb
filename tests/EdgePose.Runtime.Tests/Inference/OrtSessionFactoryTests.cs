using EdgePose.Runtime.Inference;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.ML.OnnxRuntime;

namespace EdgePose.Runtime.Tests.Inference;

/// <summary>
/// Provider choice and fallback. This build has the CPU provider only (the GPU flavour's missing CUDA libraries are
/// checked on the published GPU build, in the daemon's deploy tests); a GPU session that fails to build is the one fake.
/// </summary>
public sealed class OrtSessionFactoryTests
{
    private static readonly byte[] Model = new TestModelBuilder().ToBytes();
    private static readonly string ModelSha256 = ModelLoader.Sha256Of(Model);

    private readonly FakeLogger<OrtSessionFactory> _logger = new();

    [Fact]
    public void A_TensorRT_session_that_fails_to_build_falls_back_to_CUDA_then_to_CPU()
    {
        var factory = Factory();
        var chains = new List<string[]>();

        var (session, provider) = factory.BuildWithFallback([InferenceOptions.TensorRt, InferenceOptions.Cuda], ModelSha256, chain =>
        {
            chains.Add([.. chain]);
            return chain.Count > 0 ? GpuSessionThatFails() : CpuSession();
        });

        using (session)
        {
            Assert.Equal(InferenceOptions.Cpu, provider);
            Assert.Equal([[InferenceOptions.TensorRt, InferenceOptions.Cuda], [InferenceOptions.Cuda], []], chains);
            Assert.Collection(
                _logger.Collector.GetSnapshot().Where(r => r.Id.Id == 1110).Select(r => r.Message),
                m => Assert.StartsWith($"Execution provider TensorRT could not build a session for model {ModelSha256}; falling back to CUDA: {FailureMessage}", m),
                m => Assert.StartsWith($"Execution provider CUDA could not build a session for model {ModelSha256}; falling back to CPU: {FailureMessage}", m));
            Assert.Equal($"model {ModelSha256}: {FailureMessage}", factory.Probe(InferenceOptions.TensorRt).SessionError);
        }
    }

    [Fact]
    public void CUDA_serves_when_only_the_TensorRT_session_fails()
    {
        var chains = new List<string[]>();
        var (built, provider) = Factory().BuildWithFallback([InferenceOptions.TensorRt, InferenceOptions.Cuda], ModelSha256, chain =>
        {
            chains.Add([.. chain]);
            if (chain[0] == InferenceOptions.TensorRt)
            {
                GpuSessionThatFails();
            }

            return chain.Count;
        });

        Assert.Equal(1, built);
        Assert.Equal(InferenceOptions.Cuda, provider);
        Assert.Equal([[InferenceOptions.TensorRt, InferenceOptions.Cuda], [InferenceOptions.Cuda]], chains);
    }

    [Fact]
    public void A_model_no_provider_can_build_is_the_models_failure_thrown_without_blaming_the_providers()
    {
        var factory = Factory();

        Assert.Throws<OnnxRuntimeException>(() => factory.BuildWithFallback([InferenceOptions.Cuda], ModelSha256, _ => GpuSessionThatFails()));

        Assert.DoesNotContain(_logger.Collector.GetSnapshot(), r => r.Id.Id == 1110);
    }

    [Fact]
    public void Providers_this_build_lacks_are_skipped_and_logged_once_per_process()
    {
        var factory = Factory(ExecutionProvider.TensorRt, ExecutionProvider.Cuda, ExecutionProvider.Cpu);

        for (var i = 0; i < 2; i++)
        {
            var (session, provider) = factory.Create(Model, ModelSha256);
            session.Dispose();
            Assert.Equal(InferenceOptions.Cpu, provider);
        }

        Assert.Equal(
            [InferenceOptions.TensorRt, InferenceOptions.Cuda],
            _logger.Collector.GetSnapshot().Where(r => r.Id.Id == 1104).Select(r => r.StructuredState!.Single(s => s.Key == "Provider").Value));
        Assert.Equal(
            new ExecutionProviderStatus(InferenceOptions.Cuda, false, "CUDA device 0", "not in this ONNX Runtime build (available: CPUExecutionProvider)", null),
            factory.Probe("cuda"));
        Assert.Equal(new ExecutionProviderStatus(InferenceOptions.Cpu, true, "CPU", null, null), factory.Probe(InferenceOptions.Cpu));
    }

    [Fact]
    public void The_sessions_intra_op_threads_run_the_boost_above_the_thread_that_asked_for_it_where_permitted()
    {
        var options = InferenceTestKit.Options();
        options.ExecutionProviders = [ExecutionProvider.Cpu];
        options.IntraOpThreads = 2;
        options.IntraOpThreadPriorityBoost = 3;
        var factory = new OrtSessionFactory(Microsoft.Extensions.Options.Options.Create(options), _logger);
        var creatorNice = ThreadStat("thread-self")!.Value.Nice;

        var (session, _) = factory.Create(Model, ModelSha256);
        using (session)
        {
            // ONNX Runtime does not name its threads, so its workers keep the name of the thread that built the session.
            var workers = Directory.GetDirectories("/proc/self/task").Select(t => ThreadStat($"self/task/{Path.GetFileName(t)}"))
                .OfType<(string Name, int Nice)>().Where(t => t.Name == OrtSessionFactory.IntraOpThreadName).Select(t => t.Nice).ToList();
            if (_logger.Collector.GetSnapshot().Any(r => r.Id.Id == 1111))
            {
                // Not permitted here (no CAP_SYS_NICE, no nice limit): logged, and the workers run as their creator.
                Assert.Contains(creatorNice, workers);
            }
            else
            {
                // IntraOpThreads = 2: the caller of Run and one worker. Other tests' sessions may be building beside this one.
                Assert.Contains(Math.Max(-20, creatorNice - 3), workers);
            }
        }
    }

    [Theory]
    [InlineData("libcublasLt.so.13: cannot open shared object file: No such file or directory", "missing libcublasLt.so.13 (needed by libonnxruntime_providers_cuda.so)")]
    [InlineData("/opt/edgepose/libonnxruntime_providers_cuda.so: cannot open shared object file: No such file or directory", "missing libonnxruntime_providers_cuda.so")]
    [InlineData("/opt/edgepose/libonnxruntime_providers_cuda.so: undefined symbol: cublasLtCreate", "libonnxruntime_providers_cuda.so does not load: /opt/edgepose/libonnxruntime_providers_cuda.so: undefined symbol: cublasLtCreate")]
    public void The_loader_error_names_the_missing_library(string loaderError, string expected) =>
        Assert.Equal(expected, ProviderLibraries.Describe("libonnxruntime_providers_cuda.so", loaderError));

    private OrtSessionFactory Factory(params ExecutionProvider[] providers)
    {
        var options = InferenceTestKit.Options();
        options.ExecutionProviders = [.. providers];
        return new OrtSessionFactory(Microsoft.Extensions.Options.Options.Create(options), _logger);
    }

    /// <summary>ONNX Runtime's own exception, from bytes that are no model: what a provider's failed engine build throws too.</summary>
    private static InferenceSession GpuSessionThatFails() => new([1, 2, 3]);

    private static string FailureMessage { get; } = Assert.Throws<OnnxRuntimeException>(GpuSessionThatFails).Message;

    private static InferenceSession CpuSession()
    {
        using var options = OrtSessionFactory.BaseSessionOptions(1);
        return new InferenceSession(Model, options);
    }

    /// <summary>
    /// A thread's name and nice value from /proc/PATH/stat (the fields after the name, which may hold spaces, start at
    /// field 3; nice is field 19); null for a thread that ended since the folder was listed.
    /// </summary>
    private static (string Name, int Nice)? ThreadStat(string path)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{path}/stat");
        }
        catch (Exception ex) when (ex is DirectoryNotFoundException or FileNotFoundException)
        {
            return null;
        }

        var (open, close) = (stat.IndexOf('(', StringComparison.Ordinal), stat.LastIndexOf(')'));
        var fields = stat[(close + 2)..].Split(' ');
        return (stat[(open + 1)..close], int.Parse(fields[19 - 3], System.Globalization.CultureInfo.InvariantCulture));
    }
}
