using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace EdgePose.Daemon.Tests.Hosting;

/// <summary>
/// The sd_notify protocol end to end, without systemd: the daemon runs as the child of a process named "systemd"
/// (how .NET decides it is a systemd service) with NOTIFY_SOCKET pointing at a datagram socket this test reads.
/// </summary>
public sealed class SystemdNotifyTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgepose-notify-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Ready_after_warm_up_watchdog_pings_while_alive_and_stopping_on_sigterm()
    {
        var socketPath = Path.Combine(_directory, "notify");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        var launcher = Path.Combine(_directory, "systemd");
        File.Copy("/bin/bash", launcher);

        var grpcPort = RunningDaemon.FreePort();
        var daemon = string.Join(' ', new[]
        {
            "dotnet", Path.Combine(AppContext.BaseDirectory, "edgepose.dll"), "serve",
            "--config", Path.Combine(AppContext.BaseDirectory, "appsettings.json"),
            "--grpc-address", $"127.0.0.1:{grpcPort}", "--metrics-address", "''",
            "--set", "Logging:LogLevel:Default=Warning",
        });
        var info = new ProcessStartInfo(launcher) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // The daemon runs in the background so the launcher stays its parent; the launcher relays SIGTERM and waits.
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"{daemon} & child=$!; trap 'kill -TERM $child' TERM; wait $child; trap - TERM; wait $child");
        info.Environment["NOTIFY_SOCKET"] = socketPath;
        info.Environment["DOTNET_ENVIRONMENT"] = "Development";
        info.Environment["WATCHDOG_USEC"] = "1000000";
        using var launcherProcess = Process.Start(info)!;
        launcherProcess.OutputDataReceived += (_, _) => { };
        launcherProcess.ErrorDataReceived += (_, _) => { };
        launcherProcess.BeginOutputReadLine();
        launcherProcess.BeginErrorReadLine();

        var messages = new List<string>();
        async Task<string> Next(Func<string, bool> wanted, TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            var buffer = new byte[4096];
            while (true)
            {
                var length = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
                var message = Encoding.UTF8.GetString(buffer, 0, length);
                messages.Add(message);
                if (wanted(message))
                {
                    return message;
                }
            }
        }

        try
        {
            await Next(m => m.Contains("READY=1", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            using (var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}"))
            {
                var status = await new EdgePose.V1.PoseService.PoseServiceClient(channel).GetStatusAsync(new EdgePose.V1.GetStatusRequest());
                Assert.NotEqual("LOADING", status.Model.State);
            }

            await Next(m => m.Contains("WATCHDOG=1", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
            await Next(m => m.Contains("WATCHDOG=1", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
            using (var kill = Process.Start("kill", ["-TERM", launcherProcess.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await Next(m => m.Contains("STOPPING=1", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
            await launcherProcess.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }
        finally
        {
            if (!launcherProcess.HasExited)
            {
                launcherProcess.Kill(entireProcessTree: true);
            }
        }

        Assert.Equal(0, launcherProcess.ExitCode);
    }
}
