using EdgePose.Daemon.Hosting;
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
    [InlineData("EdgePose:Workcell:Camera:Distortion:0=0.1", "EdgePose:Workcell:Camera:Distortion", "0.1")]
    [InlineData("EdgePose:Grpc:EstimatePixelBudget=0", "EdgePose:Grpc:EstimatePixelBudget", "0")]
    [InlineData("EdgePose:Tracking:DropAfter=00:00:00", "EdgePose:Tracking:DropAfter = '00:00:00'", "must be between")]
    [InlineData("EdgePose:FailureCapture:Directory=captures", "EdgePose:FailureCapture:Directory = 'captures'", "must be an absolute path")]
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
    public async Task Production_refuses_the_synthetic_camera_unless_it_is_explicitly_allowed()
    {
        using var refused = StartIn("Production", "serve", "--grpc-address", $"127.0.0.1:{RunningDaemon.FreePort()}", "--metrics-address", "");
        var stderr = await refused.StandardError.ReadToEndAsync();
        await refused.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(78, refused.ExitCode);
        Assert.Contains("EdgePose:Capture:Source = 'Synthetic'", stderr);
        Assert.Contains("EdgePose:Capture:AllowSynthetic=true", stderr);

        // Explicitly allowed, it starts (and says synthetic, as the SIGTERM test checks in development mode).
        using var allowed = StartIn(
            "Production", "serve", "--grpc-address", $"127.0.0.1:{RunningDaemon.FreePort()}", "--metrics-address", "", "--set", "EdgePose:Capture:AllowSynthetic=true");
        var exited = allowed.WaitForExitAsync();
        Assert.NotSame(exited, await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(8))));
        allowed.Kill();
    }

    [FactWithoutSiteConfiguration]
    public async Task Under_systemd_a_missing_site_configuration_stops_the_start()
    {
        var directory = Directory.CreateTempSubdirectory("edgepose-systemd-").FullName;
        try
        {
            // .NET decides it runs under systemd when its parent process is named systemd.
            var launcher = Path.Combine(directory, "systemd");
            File.Copy("/bin/bash", launcher);
            var info = new ProcessStartInfo(launcher) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add($"dotnet {Path.Combine(AppContext.BaseDirectory, "edgepose.dll")} serve --grpc-address 127.0.0.1:{RunningDaemon.FreePort()} --metrics-address ''; exit $?");
            info.Environment["DOTNET_ENVIRONMENT"] = "Production";
            info.Environment.Remove("ASPNETCORE_ENVIRONMENT");
            using var process = Process.Start(info)!;
            var stderr = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(78, process.ExitCode);
            Assert.Contains("/etc/edgepose/edgepose.json does not exist", stderr);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Sigterm_ends_open_streams_and_exits_zero_within_seconds()
    {
        var grpcPort = RunningDaemon.FreePort();
        var metricsPort = RunningDaemon.FreePort();
        using var process = Start("serve", "--grpc-address", $"127.0.0.1:{grpcPort}", "--metrics-address", $"127.0.0.1:{metricsPort}");
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

        // Development mode runs the synthetic camera, and everything says so.
        Assert.True(stream.ResponseStream.Current.Synthetic);
        Assert.True((await client.GetStatusAsync(new GetStatusRequest())).Capture.Synthetic);
        using (var http = new HttpClient())
        {
            Assert.Matches("(?m)^edgepose_capture_synthetic 1$", await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics"));
        }

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

    /// <summary>The daemon in development mode (synthetic camera allowed), as deploy/dev.sh run starts it.</summary>
    [FactAsNobodyInPrivateMountNamespace]
    public async Task An_unreadable_site_configuration_stops_the_start()
    {
        // The daemon reads /etc/edgepose/edgepose.json; tests never write to /etc, so the file is made in a private mount
        // namespace (a copy of /etc over /etc, seen by this command only) and read by an unprivileged user (root reads anything).
        var directory = Directory.CreateTempSubdirectory("edgepose-unreadable-").FullName;
        try
        {
            var asNobody = "setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp";
            var dll = Path.Combine(AppContext.BaseDirectory, "edgepose.dll");
            var script = string.Join(
                " && ",
                $"mount -t tmpfs tmpfs {directory}",
                $"cp -a /etc/. {directory}/",
                $"mkdir -p {directory}/edgepose",
                $"echo '{{}}' > {directory}/edgepose/edgepose.json",
                $"chmod 600 {directory}/edgepose/edgepose.json",
                $"mount --bind {directory} /etc",
                $"{asNobody} DOTNET_ENVIRONMENT=Production dotnet {dll} serve --grpc-address 127.0.0.1:{RunningDaemon.FreePort()} --metrics-address ''");
            var info = new ProcessStartInfo("unshare", ["--mount", "--propagation", "private", "bash", "-c", script])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            info.Environment.Remove("ASPNETCORE_ENVIRONMENT");
            using var process = Process.Start(info)!;
            var stderr = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

            Assert.True(process.ExitCode == 78, $"exit {process.ExitCode}, stderr: {stderr}");
            Assert.Contains("/etc/edgepose/edgepose.json cannot be read", stderr);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Process Start(params string[] arguments) => StartIn("Development", arguments);

    private static Process StartIn(string environmentName, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.Environment["DOTNET_ENVIRONMENT"] = environmentName;
        info.Environment.Remove("ASPNETCORE_ENVIRONMENT");
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

/// <summary>Skipped where /etc/edgepose/edgepose.json exists: tests never write to /etc.</summary>
public sealed class FactWithoutSiteConfigurationAttribute : FactAttribute
{
    public FactWithoutSiteConfigurationAttribute()
    {
        if (File.Exists(DaemonConfiguration.DefaultSystemFile))
        {
            Skip = $"{DaemonConfiguration.DefaultSystemFile} exists on this machine";
        }
    }
}

/// <summary>
/// Skipped unless a private mount namespace can stand in for /etc and an unprivileged user can run the test binaries:
/// root, util-linux's unshare and setpriv, every folder above the binaries open to others, and a machine that lets
/// root make a mount namespace and mount in it (a container without CAP_SYS_ADMIN does not), which a probe tries once.
/// </summary>
public sealed class FactAsNobodyInPrivateMountNamespaceAttribute : FactAttribute
{
    private static readonly Lazy<string?> WhyNot = new(Probe);

    public FactAsNobodyInPrivateMountNamespaceAttribute()
    {
        if (WhyNot.Value is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? Probe()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/unshare") || !File.Exists("/usr/bin/setpriv"))
        {
            return "needs root, unshare and setpriv (util-linux) for a private mount namespace";
        }

        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (!folder.UnixFileMode.HasFlag(UnixFileMode.OtherExecute) || !folder.UnixFileMode.HasFlag(UnixFileMode.OtherRead))
            {
                return $"{folder.FullName} is closed to an unprivileged user, who must run the test binaries";
            }
        }

        // What the test does, minus the daemon: a tmpfs mount in a private namespace, then dotnet run as nobody.
        var directory = Directory.CreateTempSubdirectory("edgepose-probe-").FullName;
        try
        {
            var info = new ProcessStartInfo(
                "unshare",
                ["--mount", "--propagation", "private", "bash", "-c", $"mount -t tmpfs tmpfs {directory} && setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp dotnet --list-runtimes"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                process.Kill();
                return "a private mount namespace did not start within 30 s";
            }

            return process.ExitCode == 0 ? null : $"this machine refuses a private mount namespace or dotnet as nobody: {stderr.Result.Trim()}";
        }
        finally
        {
            Directory.Delete(directory);
        }
    }
}
