using EdgePose.Daemon.Systemd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting.Systemd;

namespace EdgePose.Daemon.Tests.Hosting;

/// <summary>
/// The watchdog against a camera whose read never returns (the driver is the fake; host, capture, pipeline and watchdog
/// are real). Before, the pipeline's idle heartbeats kept the pings going and systemd never restarted the daemon.
/// </summary>
[Collection(WatchdogEnvironment.Name)]
public sealed class HungCameraWatchdogTests
{
    [Fact]
    public async Task A_read_that_never_returns_stops_the_watchdog_pings_while_the_pipeline_heartbeat_stays_fresh()
    {
        var camera = new PluggableCamera(pluggedIn: true);
        var notifier = new RecordingNotifier();
        Environment.SetEnvironmentVariable("WATCHDOG_USEC", "400000");
        try
        {
            await using var daemon = await RunningDaemon.StartAsync(
                new Dictionary<string, string?>
                {
                    ["EdgePose:Capture:HungDeviceLimit"] = "00:00:01",
                    ["EdgePose:Pipeline:IdleHeartbeatInterval"] = "00:00:00.100",
                },
                services =>
                {
                    camera.Install(services);
                    services.Replace(ServiceDescriptor.Singleton<ISystemdNotifier>(notifier));
                    services.AddHostedService<SystemdWatchdog>();
                });
            await daemon.WaitForFirstPoseAsync();
            await RunningDaemon.WaitUntilAsync(() => Task.FromResult(notifier.Pings > 2), TimeSpan.FromSeconds(10), "watchdog pings");

            camera.Hung = true;
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            var pingsWhileHung = notifier.Pings;
            await Task.Delay(TimeSpan.FromSeconds(1.5));

            Assert.Equal(pingsWhileHung, notifier.Pings);
            var store = daemon.App.Services.GetRequiredService<EdgePose.Runtime.Pipeline.IPoseResultStore>();
            Assert.True(
                TimeProvider.System.GetElapsedTime(store.Current.HeartbeatTimestamp) < TimeSpan.FromSeconds(1),
                "the pipeline's idle heartbeat is fresh: only the hung read withholds the pings");

            camera.Hung = false;
            await RunningDaemon.WaitUntilAsync(() => Task.FromResult(notifier.Pings > pingsWhileHung), TimeSpan.FromSeconds(10), "pings again once the read returns");
        }
        finally
        {
            camera.Hung = false;
            Environment.SetEnvironmentVariable("WATCHDOG_USEC", null);
        }
    }

    private sealed class RecordingNotifier : ISystemdNotifier
    {
        private int _pings;

        public bool IsEnabled => true;

        public int Pings => Volatile.Read(ref _pings);

        public void Notify(ServiceState state)
        {
            if (state.ToString().Contains("WATCHDOG=1", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _pings);
            }
        }
    }
}

/// <summary>Tests that set WATCHDOG_USEC in this process run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WatchdogEnvironment
{
    public const string Name = "WATCHDOG_USEC";
}
