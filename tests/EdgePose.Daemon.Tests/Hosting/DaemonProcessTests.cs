using System.Diagnostics;
using EdgePose.V1;
using Grpc.Net.Client;

namespace EdgePose.Daemon.Tests.Hosting;

/// <summary>The real executable, as systemd runs it.</summary>
public sealed class DaemonProcessTests
{
    [Theory]
    [InlineData("EdgePose:Pipeline:FallbackPolicy=sometimes", "EdgePose:Pipeline:FallbackPolicy = 'sometimes'", "must be one of model-with-fallback, model-only, baseline-only, prefer-baseline-when-marker-visible.")]
    [InlineData("EdgePose:Inference:ExecutionProviders:0=OpenVINO", "EdgePose:Inference:ExecutionProviders:0 = 'OpenVINO'", "must be one of TensorRT, CUDA, CPU.")]
    [InlineData("EdgePose:Pipeline:LatencyBudget=00:05:00", "EdgePose:Pipeline:LatencyBudget", "00:05:00")]
    [InlineData("EdgePose:Grpc:Address=nowhere", "EdgePose:Grpc:Address", "nowhere")]
    [InlineData("EdgePose:Capture:Source=Video", "EdgePose:Capture:VideoPath", "")]
    [InlineData("EdgePose:Capture:Source=Webcam", "EdgePose:Capture:Source = 'Webcam'", "must be one of Synthetic, Video, Images, Camera, Gstreamer.")]
    [InlineData("EdgePose:Workcell:Objects:0:Marker:Dictionary=Dict9X9", "EdgePose:Workcell:Objects:0:Marker:Dictionary", "Dict9X9")]
    public async Task A_bad_configuration_value_exits_non_zero_naming_the_setting(string assignment, string setting, string value)
    {
        using var process = Start("serve", "--set", assignment, "--grpc-address", $"127.0.0.1:{RunningDaemon.FreePort()}", "--metrics-address", "");
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(78, process.ExitCode);
        Assert.Contains(setting, stderr);
        Assert.Contains(value, stderr);
        Assert.StartsWith("edgepose: configuration error:", stderr.Trim());
    }

    [Fact]
    public async Task Sigterm_ends_open_streams_and_exits_zero_within_seconds()
    {
        var grpcPort = RunningDaemon.FreePort();
        using var process = Start("serve", "--grpc-address", $"127.0.0.1:{grpcPort}", "--metrics-address", $"127.0.0.1:{RunningDaemon.FreePort()}");
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        var client = new PoseService.PoseServiceClient(channel);
        await RunningDaemon.WaitUntilAsync(
            async () =>
            {
                try
                {
                    await client.GetLatestPoseAsync(new GetLatestPoseRequest());
                    return true;
                }
                catch (global::Grpc.Core.RpcException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(60),
            "the daemon's first pose");
        using var stream = client.StreamPoses(new StreamPosesRequest());
        Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None));

        var started = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        while (await stream.ResponseStream.MoveNext(CancellationToken.None))
        {
        }

        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(0, process.ExitCode);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(6), $"exited {started.Elapsed.TotalSeconds:0.0} s after SIGTERM");
    }

    private static Process Start(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "edgepose.dll"));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Keep /etc/edgepose out of the test, and the log quiet.
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "appsettings.json"));
        info.ArgumentList.Add("--set");
        info.ArgumentList.Add("Logging:LogLevel:Default=Warning");
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return process;
    }
}
