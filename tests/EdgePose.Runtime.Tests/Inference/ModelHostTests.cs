using EdgePose.Runtime.Inference;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgePose.Runtime.Tests.Inference;

public sealed class ModelHostTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Missing_file_leaves_the_host_absent_and_says_where_it_looked()
    {
        var path = _directory.File("nowhere.onnx");
        using var host = InferenceTestKit.Host(InferenceTestKit.Options(path));

        await host.StartAsync(CancellationToken.None);
        await host.Initialized.WaitAsync(Patience);

        Assert.Equal(ModelState.Absent, host.State);
        Assert.Null(host.Current);
        Assert.Contains(path, host.LastError, StringComparison.Ordinal);
        await host.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task No_configured_model_means_baseline_only()
    {
        using var host = InferenceTestKit.Host(InferenceTestKit.Options(modelPath: ""));

        await host.StartAsync(CancellationToken.None);
        await host.Initialized.WaitAsync(Patience);

        Assert.Equal(ModelState.Absent, host.State);
        Assert.Contains("ModelPath", host.LastError, StringComparison.Ordinal);
        Assert.False(await host.ReloadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_FIFO_at_the_model_path_fails_the_load_after_the_read_timeout_instead_of_hanging_the_start()
    {
        var path = _directory.File("fifo.onnx");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]))
        {
            await mkfifo.WaitForExitAsync();
        }

        var options = InferenceTestKit.Options(path);
        options.ModelReadTimeout = TimeSpan.FromSeconds(1);
        using var host = InferenceTestKit.Host(options);
        try
        {
            await host.StartAsync(CancellationToken.None);
            await host.Initialized.WaitAsync(Patience);

            Assert.Equal(ModelState.Failed, host.State);
            Assert.Contains("ModelReadTimeout", host.LastError, StringComparison.Ordinal);
        }
        finally
        {
            // Release the abandoned read: a writer that opens and closes the FIFO gives it end-of-file.
            await using (new FileStream(path, FileMode.Open, FileAccess.Write))
            {
            }

            await host.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Corrupt_file_fails_with_a_message_naming_it()
    {
        var path = _directory.File("corrupt.onnx");
        await File.WriteAllBytesAsync(path, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 37))]);
        using var host = InferenceTestKit.Host(InferenceTestKit.Options(path));

        await host.StartAsync(CancellationToken.None);
        await host.Initialized.WaitAsync(Patience);

        Assert.Equal(ModelState.Failed, host.State);
        Assert.Null(host.Current);
        Assert.StartsWith($"{path}: ", host.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Contract_mismatch_fails_with_the_contract_message()
    {
        var path = new TestModelBuilder().WithMetadata(ModelContractKeys.InputLayout, "NHWC").WriteTo(_directory.File("nhwc.onnx"));
        using var host = InferenceTestKit.Host(InferenceTestKit.Options(path));

        Assert.False(await host.ReloadAsync(CancellationToken.None));

        Assert.Equal(ModelState.Failed, host.State);
        Assert.Equal($"{path}: metadata key '{ModelContractKeys.InputLayout}' is 'NHWC', the contract says 'NCHW'", host.LastError);
    }

    [Fact]
    public async Task Reload_of_a_good_file_swaps_and_retires_the_old_model()
    {
        var path = InferenceTestKit.ModelSeeing(InferenceTestKit.TruePose).WriteTo(_directory.File("model.onnx"));
        using var host = InferenceTestKit.Host(InferenceTestKit.Options(path));
        await host.StartAsync(CancellationToken.None);
        await host.Initialized.WaitAsync(Patience);
        var old = Assert.IsAssignableFrom<IPoseModel>(host.Current);
        Assert.Equal(ModelState.Loaded, host.State);

        InferenceTestKit.ModelSeeing(InferenceTestKit.OtherPose).WriteTo(path);
        Assert.True(await host.ReloadAsync(CancellationToken.None));

        var current = Assert.IsAssignableFrom<IPoseModel>(host.Current);
        Assert.NotEqual(old.Info.Sha256, current.Info.Sha256);
        Assert.Equal(ModelLoader.Sha256Of(await File.ReadAllBytesAsync(path)), current.Info.Sha256);
        Assert.Null(host.LastError);
        using var frame = InferenceTestKit.Frame();
        var estimate = current.Estimate(frame, InferenceTestKit.Camera, InferenceTestKit.Target).Estimate;
        Assert.True(estimate!.Pose.PositionErrorTo(InferenceTestKit.OtherPose) < 1e-3);
        Assert.Throws<ObjectDisposedException>(() => old.Estimate(frame, InferenceTestKit.Camera, InferenceTestKit.Target));
    }

    [Fact]
    public async Task Reload_of_a_broken_file_keeps_the_old_model_serving()
    {
        var path = InferenceTestKit.ModelSeeing(InferenceTestKit.TruePose).WriteTo(_directory.File("model.onnx"));
        using var host = InferenceTestKit.Host(InferenceTestKit.Options(path));
        await host.StartAsync(CancellationToken.None);
        await host.Initialized.WaitAsync(Patience);
        var old = host.Current!;

        await File.WriteAllTextAsync(path, "not an onnx model");
        Assert.False(await host.ReloadAsync(CancellationToken.None));

        Assert.Same(old, host.Current);
        Assert.Equal(ModelState.Loaded, host.State);
        Assert.StartsWith($"{path}: ", host.LastError, StringComparison.Ordinal);
        using var frame = InferenceTestKit.Frame();
        Assert.NotNull(old.Estimate(frame, InferenceTestKit.Camera, InferenceTestKit.Target).Estimate);
    }

    [Fact]
    public async Task Replacing_the_file_triggers_a_reload()
    {
        var path = InferenceTestKit.ModelSeeing(InferenceTestKit.TruePose).WriteTo(_directory.File("model.onnx"));
        var options = InferenceTestKit.Options(path);
        options.WatchModelFile = true;
        using var host = InferenceTestKit.Host(options);
        await host.StartAsync(CancellationToken.None);
        await host.Initialized.WaitAsync(Patience);
        var oldSha = host.Current!.Info.Sha256;

        // Deploy tools write beside the model and rename over it, so the swap is atomic.
        var staging = InferenceTestKit.ModelSeeing(InferenceTestKit.OtherPose).WriteTo(_directory.File("model.onnx.tmp"));
        var newSha = ModelLoader.Sha256Of(await File.ReadAllBytesAsync(staging));
        File.Move(staging, path, overwrite: true);

        var deadline = DateTime.UtcNow + Patience;
        while (host.Current?.Info.Sha256 != newSha && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.NotEqual(oldSha, newSha);
        Assert.Equal(newSha, host.Current?.Info.Sha256);
        await host.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AddInference_registers_the_host_and_rejects_unknown_providers()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgePose:Inference:ModelPath"] = _directory.File("absent.onnx"),
            ["EdgePose:Inference:ExecutionProviders:0"] = "cuda",
            ["EdgePose:Inference:ExecutionProviders:1"] = "cpu",
            ["EdgePose:Inference:WatchModelFile"] = "false",
        }).Build();
        await using var services = new ServiceCollection().AddLogging().AddPoseMetrics(Prometheus.Metrics.NewCustomRegistry()).AddInference(configuration).BuildServiceProvider();

        var host = services.GetRequiredService<IModelHost>();
        Assert.Equal(ModelState.Loading, host.State);
        Assert.Equal(["cuda", "cpu"], services.GetRequiredService<IOptions<InferenceOptions>>().Value.ExecutionProviders);

        configuration["EdgePose:Inference:ExecutionProviders:1"] = "OpenVINO";
        await using var invalid = new ServiceCollection().AddInference(configuration).BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => invalid.GetRequiredService<IOptions<InferenceOptions>>().Value);
        Assert.Contains("EdgePose:Inference:ExecutionProviders", error.Message, StringComparison.Ordinal);
    }
}
