using System.Diagnostics;
using System.Text;
using EdgePose.Runtime.Inference;
using EdgePose.V1;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EdgePose.Daemon.Tests.Reliability;

/// <summary>The camera and the model file failing a hundred times each while the daemon serves, through the real host and gRPC.</summary>
[Collection(ReliabilityScenarios.Name)]
public sealed class CameraAndModelFaultTests(ITestOutputHelper output) : IDisposable
{
    private const int Cycles = 100;

    private readonly string _directory = Directory.CreateTempSubdirectory("edgepose-faults-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Camera_lost_and_back_100_times_gives_fresh_results_within_2_s_of_each_return()
    {
        var camera = new PluggableCamera(pluggedIn: true);
        await using var daemon = await RunningDaemon.StartAsync(
            new Dictionary<string, string?>
            {
                ["EdgePose:Capture:ReconnectInitialDelay"] = "00:00:00.100",
                ["EdgePose:Capture:ReconnectMaxDelay"] = "00:00:00.400",
            },
            camera.Install);
        await daemon.WaitForFirstPoseAsync();

        var recoveries = new List<(double Reconnected, double Fresh)>();
        for (var cycle = 0; cycle < Cycles; cycle++)
        {
            camera.PluggedIn = false;
            await RunningDaemon.WaitUntilAsync(
                async () => !(await daemon.Poses.GetStatusAsync(new GetStatusRequest())).Capture.Connected, TimeSpan.FromSeconds(10), "the camera to be reported lost");
            camera.PluggedIn = true;
            var back = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            double? reconnected = null;
            // Both stages of each recovery, so a slow one says whether capture or the pipeline took the time.
            await RunningDaemon.WaitUntilAsync(
                async () =>
                {
                    reconnected ??= (await daemon.Poses.GetStatusAsync(new GetStatusRequest())).Capture.Connected ? clock.Elapsed.TotalSeconds : null;
                    return (await daemon.Poses.GetLatestPoseAsync(new GetLatestPoseRequest())).Result.CaptureTime.ToDateTimeOffset() > back;
                },
                TimeSpan.FromSeconds(10),
                $"a fresh result after return {cycle + 1}");
            recoveries.Add((reconnected ?? clock.Elapsed.TotalSeconds, clock.Elapsed.TotalSeconds));
        }

        var sorted = recoveries.OrderBy(r => r.Fresh).ToList();
        var slowest = sorted[^1];
        output.WriteLine($"camera lost and back x{Cycles}: fresh result after each return p50 {sorted[Cycles / 2].Fresh:0.00} s, max {slowest.Fresh:0.00} s (target < 2 s); reconnect delays 0.1-0.4 s");
        Assert.True(slowest.Fresh < 2, $"slowest recovery {slowest.Fresh:0.00} s, of which {slowest.Reconnected:0.00} s until capture reported the camera connected");
        Assert.NotEqual("STOPPED", (await daemon.Poses.GetStatusAsync(new GetStatusRequest())).PipelineState);
    }

    [Fact]
    public async Task Model_file_replaced_100_times_by_bad_ones_keeps_the_old_model_serving_and_reports_why()
    {
        var path = Path.Combine(_directory, "model.onnx");
        var good = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "models", "edgepose-box.onnx"));
        await File.WriteAllBytesAsync(path, good);
        await using var daemon = await RunningDaemon.StartAsync(new Dictionary<string, string?>
        {
            ["EdgePose:Inference:ModelPath"] = path,
            ["EdgePose:Inference:ExecutionProviders:0"] = "CPU",
            ["EdgePose:Inference:WarmupRuns"] = "1",
            // Reloads are triggered below, one per replacement, through the same path the file watcher takes.
            ["EdgePose:Inference:WatchModelFile"] = "false",
            // A hundred expected reload failures, each logged as an error with its stack: not worth a test log.
            ["Logging:LogLevel:EdgePose.Runtime.Inference.ModelHost"] = "Critical",
        });
        await daemon.WaitForFirstPoseAsync();
        var host = daemon.App.Services.GetRequiredService<IModelHost>();
        var serving = (await daemon.Poses.GetStatusAsync(new GetStatusRequest())).Model;
        Assert.Equal("LOADED", serving.State);

        // The contract's input_layout key renamed in place: still a valid ONNX file, but it breaks the contract.
        var mismatch = Replace(good, "edgepose.input_layout", "edgepose.input_lay0ut");
        var errors = new Dictionary<string, string>();
        var clock = Stopwatch.StartNew();
        for (var cycle = 0; cycle < Cycles; cycle++)
        {
            var kind = (cycle % 4) switch { 0 => "garbage", 1 => "truncated", 2 => "deleted", _ => "contract mismatch" };
            switch (kind)
            {
                case "garbage":
                    await File.WriteAllBytesAsync(path, Encoding.UTF8.GetBytes(new string('x', 4096 + cycle)));
                    break;
                case "truncated":
                    await File.WriteAllBytesAsync(path, good[..(good.Length * (cycle % 9 + 1) / 10)]);
                    break;
                case "deleted":
                    File.Delete(path);
                    break;
                default:
                    await File.WriteAllBytesAsync(path, mismatch);
                    break;
            }

            var frames = (await daemon.Poses.GetStatusAsync(new GetStatusRequest())).FramesProcessed;
            Assert.False(await host.ReloadAsync(CancellationToken.None), $"replacement {cycle + 1} ({kind}) was loaded");
            var status = await daemon.Poses.GetStatusAsync(new GetStatusRequest());
            Assert.Equal("LOADED", status.Model.State);
            Assert.Equal(serving.Sha256, status.Model.Sha256);
            Assert.False(string.IsNullOrEmpty(status.Model.Error), $"replacement {cycle + 1} ({kind}) is not reported");
            errors[kind] = status.Model.Error;
            await RunningDaemon.WaitUntilAsync(
                async () => (await daemon.Poses.GetStatusAsync(new GetStatusRequest())).FramesProcessed > frames, TimeSpan.FromSeconds(10), "results to keep coming");
        }

        output.WriteLine($"model file replaced x{Cycles} ({string.Join(", ", errors.Keys)}) in {clock.Elapsed.TotalSeconds:0} s: the old model served every time; last errors reported:");
        foreach (var (kind, error) in errors)
        {
            output.WriteLine($"  {kind}: {error}");
        }

        await File.WriteAllBytesAsync(path, good);
        Assert.True(await host.ReloadAsync(CancellationToken.None));
        Assert.Equal("", (await daemon.Poses.GetStatusAsync(new GetStatusRequest())).Model.Error);
    }

    private static byte[] Replace(byte[] bytes, string from, string to)
    {
        var pattern = Encoding.ASCII.GetBytes(from);
        var at = bytes.AsSpan().IndexOf(pattern);
        Assert.True(at >= 0, $"'{from}' is not in the model");
        var copy = (byte[])bytes.Clone();
        Encoding.ASCII.GetBytes(to).CopyTo(copy, at);
        return copy;
    }
}
