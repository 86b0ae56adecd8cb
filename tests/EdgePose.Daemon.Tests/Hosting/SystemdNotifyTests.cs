using EdgePose.Daemon.Tests.Reliability;

namespace EdgePose.Daemon.Tests.Hosting;

/// <summary>
/// The sd_notify protocol end to end, without systemd: the daemon runs as the child of a process named "systemd"
/// (how .NET decides it is a systemd service) with NOTIFY_SOCKET pointing at a datagram socket this test reads.
/// </summary>
public sealed class SystemdNotifyTests
{
    [Fact]
    public async Task Ready_after_warm_up_watchdog_pings_while_alive_and_stopping_on_sigterm()
    {
        await using var daemon = SupervisedDaemon.Start();

        await daemon.WaitForReadyAsync();
        using (var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{daemon.GrpcPort}"))
        {
            var status = await new EdgePose.V1.PoseService.PoseServiceClient(channel).GetStatusAsync(new EdgePose.V1.GetStatusRequest());
            Assert.NotEqual("LOADING", status.Model.State);
        }

        var ready = daemon.Now;
        await RunningDaemon.WaitUntilAsync(() => Task.FromResult(daemon.Count("WATCHDOG=1", ready) >= 2), TimeSpan.FromSeconds(10), "two watchdog pings");
        var exit = await daemon.TerminateAsync(TimeSpan.FromSeconds(15));

        await RunningDaemon.WaitUntilAsync(() => Task.FromResult(daemon.Count("STOPPING=1", ready) > 0), TimeSpan.FromSeconds(5), "STOPPING=1 on SIGTERM");
        Assert.Equal(0, daemon.ExitCode);
        Assert.True(exit < TimeSpan.FromSeconds(6), $"exited {exit.TotalSeconds:0.0} s after SIGTERM");
    }

    [Fact]
    public async Task Sigterm_is_not_held_by_a_service_manager_that_stopped_reading()
    {
        // A Unix datagram socket blocks its sender once 10 messages (net.unix.max_dgram_qlen) are unread. With pings every
        // second, 12 s unread fill the queue; a blocking STOPPING=1 then held the exit until the queue was read.
        await using var daemon = SupervisedDaemon.Start();
        await daemon.WaitForReadyAsync();
        daemon.PauseReading();
        await Task.Delay(TimeSpan.FromSeconds(12));

        var exit = await daemon.TerminateAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(0, daemon.ExitCode);
        Assert.True(exit < TimeSpan.FromSeconds(5), $"exited {exit.TotalSeconds:0.0} s after SIGTERM with the notify socket unread");
    }
}
