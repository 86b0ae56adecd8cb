using System.Diagnostics;
using System.Text.Json;
using EdgePose.V1;
using Grpc.Net.Client;

namespace EdgePose.Daemon.Tests.Deploy;

/// <summary>
/// The GPU flavour as published by deploy/dev.sh test (ONNX Runtime with the CUDA and TensorRT providers), run here,
/// where CUDA, cuDNN and TensorRT are absent: the real process on the real native libraries, not a simulated failure.
/// </summary>
public sealed class GpuFlavourTests : IDisposable
{
    private readonly string _models = DeployTestKit.NewTempDirectory();

    public void Dispose() => Directory.Delete(_models, recursive: true);

    [FactRequiringGpuPublish]
    public async Task Without_CUDA_it_logs_each_provider_skip_once_naming_the_missing_library_and_serves_model_poses_on_CPU()
    {
        var model = Path.Combine(_models, "edgepose-box.onnx");
        File.Copy(Path.Combine(GpuPublish.Directory, "models", "edgepose-box.onnx"), model);
        var grpcPort = RunningDaemon.FreePort();
        var (process, lines) = Start(
            "serve", "--grpc-address", $"127.0.0.1:{grpcPort}", "--metrics-address", "",
            "--set", "EdgePose:Capture:Source=Synthetic",
            "--set", "EdgePose:Capture:AllowSynthetic=true",
            "--set", $"EdgePose:Inference:ModelPath={model}",
            "--set", "EdgePose:Inference:ReloadDebounce=00:00:00.200",
            "--set", "EdgePose:Inference:ExecutionProviders:0=TensorRT",
            "--set", "EdgePose:Inference:ExecutionProviders:1=CUDA",
            "--set", "EdgePose:Inference:ExecutionProviders:2=CPU");
        using (process)
        using (var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}"))
        {
            try
            {
                var client = new PoseService.PoseServiceClient(channel);
                await WaitForModelAsync(client, "CPU");
                await RunningDaemon.WaitUntilAsync(
                    async () => await LatestAsync(client) is { } latest && latest.Poses.Any(p => p.Found && p.Source == PoseSource.Model),
                    TimeSpan.FromSeconds(60),
                    "a pose answered by the model");

                // A second session (a replaced model: the same graph plus an unknown protobuf field, so another hash)
                // must not probe and log the providers again.
                var first = (await client.GetStatusAsync(new GetStatusRequest())).Model.Sha256;
                var incoming = model + ".incoming";
                File.WriteAllBytes(incoming, [.. File.ReadAllBytes(model), 0xA0, 0x06, 0x01]);
                File.Move(incoming, model, overwrite: true);
                await RunningDaemon.WaitUntilAsync(
                    async () => (await client.GetStatusAsync(new GetStatusRequest())).Model is { State: "LOADED" } m && m.Sha256 != first,
                    TimeSpan.FromSeconds(60),
                    "the replaced model");
                Assert.Equal("CPU", (await client.GetStatusAsync(new GetStatusRequest())).Model.ExecutionProvider);

                // The status can change before the console logger's queue has written the load's line.
                await RunningDaemon.WaitUntilAsync(
                    () => Task.FromResult(Snapshot(lines).Count(l => l.Contains("\"EventId\":1100", StringComparison.Ordinal)) >= 2),
                    TimeSpan.FromSeconds(30),
                    "the second load's log line");
            }
            finally
            {
                process.Kill();
                await process.WaitForExitAsync();
            }
        }

        var events = lines.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var skips = events.Where(e => e.GetProperty("EventId").GetInt32() == 1105)
            .Select(e => (Provider: e.GetProperty("State").GetProperty("Provider").GetString(), Reason: e.GetProperty("State").GetProperty("Reason").GetString()!))
            .ToList();
        Assert.Equal(["TensorRT", "CUDA"], skips.Select(s => s.Provider));
        Assert.Matches(@"^missing lib(cublas|cudart|nvinfer|nvonnxparser|cudnn)[A-Za-z]*\.so\.\d+ \(needed by libonnxruntime_providers_tensorrt\.so\)$", skips[0].Reason);
        Assert.Matches(@"^missing lib(cublas|cublasLt|cudart|curand|cuda)\.so\.\d+ \(needed by libonnxruntime_providers_cuda\.so\)$", skips[1].Reason);
        Assert.Equal(2, events.Count(e => e.GetProperty("EventId").GetInt32() == 1100));
    }

    [FactRequiringGpuPublish]
    public async Task Doctor_reports_each_provider_with_its_missing_library_and_device()
    {
        var (exitCode, stdout, _) = await DeployTestKit.RunAsync(
            Path.Combine(GpuPublish.Directory, "edgepose"),
            ["doctor", "--grpc-address", $"127.0.0.1:{RunningDaemon.FreePort()}", "--metrics-address", "",
             "--set", "EdgePose:Capture:Source=Synthetic", "--set", "EdgePose:Capture:AllowSynthetic=true"],
            workingDirectory: GpuPublish.Directory);

        Assert.Equal(0, exitCode);
        var lines = stdout.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("OK   onnxruntime    1.31.0; providers in this build: TensorrtExecutionProvider, CUDAExecutionProvider, CPUExecutionProvider", StringComparison.Ordinal));
        Assert.Matches(@"^WARN ep TensorRT    CUDA device 0: not loaded: missing lib\w+\.so\.\d+ \(needed by libonnxruntime_providers_tensorrt\.so\)$", Assert.Single(lines, l => l.Contains(" ep TensorRT ", StringComparison.Ordinal)));
        Assert.Matches(@"^WARN ep CUDA        CUDA device 0: not loaded: missing lib\w+\.so\.\d+ \(needed by libonnxruntime_providers_cuda\.so\)$", Assert.Single(lines, l => l.Contains(" ep CUDA ", StringComparison.Ordinal)));
        Assert.Equal("OK   ep CPU         CPU: loaded", Assert.Single(lines, l => l.Contains(" ep CPU ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("OK   model", StringComparison.Ordinal) && l.EndsWith(" on CPU", StringComparison.Ordinal));
    }

    private static async Task WaitForModelAsync(PoseService.PoseServiceClient client, string provider) =>
        await RunningDaemon.WaitUntilAsync(
            async () =>
            {
                try
                {
                    var status = await client.GetStatusAsync(new GetStatusRequest());
                    Assert.NotEqual("FAILED", status.Model.State);
                    return status.Model.State == "LOADED" && status.Model.ExecutionProvider == provider;
                }
                catch (global::Grpc.Core.RpcException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(60),
            $"the model loaded on {provider}");

    private static async Task<PoseResult?> LatestAsync(PoseService.PoseServiceClient client)
    {
        try
        {
            return (await client.GetLatestPoseAsync(new GetLatestPoseRequest())).Result;
        }
        catch (global::Grpc.Core.RpcException)
        {
            return null;
        }
    }

    /// <summary>Starts the published executable; its output lines (JSON log lines on stdout, ONNX Runtime's own on stderr) are collected.</summary>
    private static (Process Process, List<string> Lines) Start(params string[] arguments)
    {
        var info = new ProcessStartInfo(Path.Combine(GpuPublish.Directory, "edgepose"))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = GpuPublish.Directory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var lines = new List<string>();
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Collect(lines, e.Data);
        process.ErrorDataReceived += (_, e) => Collect(lines, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, lines);
    }

    private static void Collect(List<string> lines, string? line)
    {
        if (line is not null)
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }
    }

    private static List<string> Snapshot(List<string> lines)
    {
        lock (lines)
        {
            return [.. lines];
        }
    }
}

/// <summary>Where deploy/dev.sh test publishes the GPU flavour.</summary>
internal static class GpuPublish
{
    public static string Directory { get; } = DeployTestKit.PathOf("artifacts/publish/gpu-linux-x64");
}

/// <summary>A fact that is skipped, saying how to get it, where the GPU flavour has not been published.</summary>
public sealed class FactRequiringGpuPublishAttribute : FactAttribute
{
    public FactRequiringGpuPublishAttribute()
    {
        if (!File.Exists(Path.Combine(GpuPublish.Directory, "edgepose")))
        {
            Skip = $"the GPU flavour is not published to {GpuPublish.Directory} (deploy/dev.sh test publishes it)";
        }
    }
}
